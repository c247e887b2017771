// The Windows monitors under wine, each against something real: this test's own
// process, wine's own services, a loopback listener and HTTP server, PDH, the disk,
// the adapters wine reports, ICMP to 127.0.0.1, log files in three encodings, scripts.
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "host/windows/checks_win.h"
#include "host/windows/net_ops_win.h"
#include "win_test_support.h"

namespace poolha {
namespace {

using namespace host;
using std::chrono::milliseconds;

CheckSpec spec(CheckKind k, std::map<std::string, std::string> p, milliseconds t = milliseconds(2000)) {
  return {k, std::move(p), t};
}

struct Fixture : ::testing::Test {
  test::ScratchDir dir;
  windows::NetApi api = windows::system_net_api();
  CheckPolicy policy() const { return {dir.path(), {dir.path()}, true, text::Encoding::Console}; }
  CheckOutcome run(const CheckSpec& s) {
    auto o = windows::run_check(s, policy(), api);
    std::printf("%s: %s -> %s\n", to_string(s.kind).c_str(), o.healthy ? "healthy" : "unhealthy", o.detail.c_str());
    return o;
  }
};

using ChecksWin = Fixture;

// A listener on 127.0.0.1 that answers one HTTP request per connection with `status`.
struct Listener {
  SOCKET s = INVALID_SOCKET;
  int port = 0;
  std::thread t;
  std::atomic<bool> stop{false};
  explicit Listener(const char* reply) {
    WSADATA w;
    WSAStartup(MAKEWORD(2, 2), &w);
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    int len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    listen(s, 8);
    t = std::thread([this, reply] {
      while (!stop) {
        SOCKET c = accept(s, nullptr, nullptr);
        if (c == INVALID_SOCKET) return;
        char buf[1024];
        recv(c, buf, sizeof buf, 0);
        send(c, reply, static_cast<int>(strlen(reply)), 0);
        closesocket(c);
      }
    });
  }
  ~Listener() {
    stop = true;
    closesocket(s);
    t.join();
  }
};

TEST_F(ChecksWin, ProcessByImageName) {
  EXPECT_TRUE(run(spec(CheckKind::Process, {{"name", "WINDOWS_HOST_TEST.EXE"}})).healthy) << "any case";
  EXPECT_FALSE(run(spec(CheckKind::Process, {{"name", "windows_host_test.exe"}, {"min_count", "2"}})).healthy);
  EXPECT_FALSE(run(spec(CheckKind::Process, {{"name", "no-such-gateway.exe"}})).healthy);
}

TEST_F(ChecksWin, ProcessByCommandLine) {
  auto o = run(spec(CheckKind::Process, {{"cmdline", "windows_host_test"}}));
  if (o.detail.find("could not be read") != std::string::npos && !o.healthy)
    GTEST_SKIP() << "this system does not answer ProcessCommandLineInformation (Windows 8.1+ does): " << o.detail;
  EXPECT_TRUE(o.healthy) << o.detail;
}

TEST_F(ChecksWin, ServiceState) {
  auto missing = run(spec(CheckKind::Service, {{"name", "poolha-no-such-service"}}));
  EXPECT_FALSE(missing.healthy);
  EXPECT_NE(missing.detail.find("is not installed"), std::string::npos) << missing.detail;
  // RpcSs runs on every Windows and in every wine prefix (wine's rpcss).
  auto rpc = run(spec(CheckKind::Service, {{"name", "RpcSs"}}));
  EXPECT_NE(rpc.detail.find("service RpcSs: "), std::string::npos) << rpc.detail;
}

TEST_F(ChecksWin, TcpAndHttp) {
  Listener ok("HTTP/1.0 204 No Content\r\n\r\n");
  const std::string port = std::to_string(ok.port);
  EXPECT_TRUE(run(spec(CheckKind::TcpPort, {{"port", port}})).healthy);
  EXPECT_TRUE(run(spec(CheckKind::Http, {{"url", "http://127.0.0.1:" + port + "/health"}, {"expect_status", "204"}})).healthy);
  EXPECT_FALSE(run(spec(CheckKind::Http, {{"url", "http://127.0.0.1:" + port + "/health"}})).healthy) << "204 is not 200";
  // A port nobody listens on: refused.
  SOCKET probe = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a);
  int len = sizeof a;
  getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len);
  closesocket(probe);
  auto refused = run(spec(CheckKind::TcpPort, {{"port", std::to_string(ntohs(a.sin_port))}}));
  EXPECT_FALSE(refused.healthy);
  EXPECT_NE(refused.detail.find("refused"), std::string::npos) << refused.detail;
}

TEST_F(ChecksWin, CpuMemoryDisk) {
  auto cpu = run(spec(CheckKind::Cpu, {{"max_percent", "100"}}));
  EXPECT_TRUE(cpu.healthy) << cpu.detail;
  EXPECT_NE(cpu.detail.find("busy over"), std::string::npos);
  EXPECT_TRUE(run(spec(CheckKind::Memory, {{"max_percent", "100"}})).healthy);
  auto disk = run(spec(CheckKind::Disk, {{"path", "C:\\"}, {"max_percent", "100"}}));
  EXPECT_TRUE(disk.healthy) << disk.detail;
  EXPECT_FALSE(run(spec(CheckKind::Disk, {{"path", "C:\\"}, {"max_percent", "0.001"}})).healthy);
}

TEST_F(ChecksWin, NicLinkByAlias) {
  auto ifaces = windows::list_interfaces(api);
  ASSERT_TRUE(ifaces.ok()) << ifaces.error();
  std::string up;
  for (const auto& i : *ifaces)
    if (i.up && up.empty()) up = i.name;
  std::printf("adapters: %zu, first up: %s\n", ifaces->size(), up.c_str());
  ASSERT_FALSE(up.empty());
  EXPECT_TRUE(run(spec(CheckKind::NicLink, {{"interface", up}})).healthy);
  auto missing = run(spec(CheckKind::NicLink, {{"interface", "以太网 9"}}));
  EXPECT_FALSE(missing.healthy);
  EXPECT_NE(missing.detail.find("以太网 9 not found"), std::string::npos) << missing.detail;
}

TEST_F(ChecksWin, GatewayPing) {
  auto o = run(spec(CheckKind::Gateway, {{"address", "127.0.0.1"}}, milliseconds(1000)));
  EXPECT_TRUE(o.healthy) << o.detail;
}

TEST_F(ChecksWin, LogPatternInUtf8Utf16AndGbk) {
  struct Case {
    const char* file;
    const char* encoding;
    std::string start, line;
  };
  const Case cases[] = {
      {"u8.log", "utf-8", "start\r\n", "2026-12-01 \xE4\xBA\xA4\xE6\x98\x93\xE5\xA4\xB1\xE8\xB4\xA5\r\n"},
      {"gbk.log", "gbk", "start\r\n", "2026-12-01 \xBD\xBB\xD2\xD7\xCA\xA7\xB0\xDC\r\n"},
      {"u16.log", "utf-16", std::string("\xFF\xFEs\0t\0\r\0\n\0", 10),
       std::string("2\0" "0\0" " \0" "\xA4\x4E\x13\x66\x31\x59\x25\x8D" "\r\0\n\0", 18)},
  };
  for (const auto& c : cases) {
    const std::string path = dir.file(c.file);
    test::write_bytes(path, c.start);
    const auto s = spec(CheckKind::LogPattern, {{"path", path}, {"pattern", "\xE5\xA4\xB1\xE8\xB4\xA5"}, {"encoding", c.encoding}});
    EXPECT_TRUE(run(s).healthy) << c.file << ": the first call only notes the end";
    test::write_bytes(path, c.start + c.line);
    auto o = run(s);
    EXPECT_FALSE(o.healthy) << c.file << ": " << o.detail;
    EXPECT_NE(o.detail.find("\xE4\xBA\xA4\xE6\x98\x93\xE5\xA4\xB1\xE8\xB4\xA5"), std::string::npos) << c.file << ": " << o.detail;
  }
}

TEST_F(ChecksWin, LogOutsideTheLogDirsIsRefused) {
  test::ScratchDir other;
  const std::string path = other.file("x.log");
  test::write_bytes(path, "x\n");
  auto o = windows::run_check(spec(CheckKind::LogPattern, {{"path", path}, {"pattern", "x"}}),
                              {dir.path(), {dir.path()}, false, text::Encoding::Console}, api);
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("outside this host's log_dirs"), std::string::npos) << o.detail;
}

TEST_F(ChecksWin, ScriptMonitor) {
  ASSERT_TRUE(test::set_admin_only(dir.path()));
  test::write_bytes(dir.file("check.cmd"), "@echo off\r\nif \"%POOLHA_CHECK%\"==\"1\" exit /b 0\r\nexit /b 1\r\n");
  ASSERT_TRUE(test::set_admin_only(dir.file("check.cmd")));
  EXPECT_TRUE(run(spec(CheckKind::Script, {{"name", "check.cmd"}})).healthy);
  test::write_bytes(dir.file("fail.bat"), "@echo gateway down\r\n@exit /b 2\r\n");
  ASSERT_TRUE(test::set_admin_only(dir.file("fail.bat")));
  auto o = run(spec(CheckKind::Script, {{"name", "fail.bat"}}));
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("exited 2"), std::string::npos) << o.detail;
  EXPECT_NE(o.detail.find("gateway down"), std::string::npos) << o.detail;
}

TEST_F(ChecksWin, InvalidSpecsAreUnhealthyWithTheReason) {
  auto o = run(spec(CheckKind::Service, {{"unit", "sshd"}}));
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("unknown param 'unit'"), std::string::npos) << o.detail;
}

}  // namespace
}  // namespace poolha
