// Tests for host/linux/checks: every check runs against the real system —
// real sockets on 127.0.0.1, a tiny in-test HTTP server, /proc, statvfs on /,
// lo, a real log file, real scripts, real ICMP. The only non-loopback address
// used is 198.18.0.1 (RFC 2544 benchmarking range), expected to be silent.
#include "host/linux/checks.h"
#include "rules/validation.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/utf8.h"

namespace lc = poolha::host::linux_checks;
namespace fs = std::filesystem;
using lc::CheckKind;
using lc::CheckSpec;
using std::chrono::milliseconds;

namespace {

using Clock = std::chrono::steady_clock;

long long elapsed_ms(Clock::time_point t0) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
}

CheckSpec spec(CheckKind k, std::map<std::string, std::string> p, milliseconds t = milliseconds(1000)) {
  return CheckSpec{k, std::move(p), t};
}

// What the host allows in these tests: scripts in `script_dir`, logs under /var/log
// (or the test's own directory), script arguments.
lc::CheckPolicy policy(const std::string& script_dir = "", std::vector<std::string> log_dirs = {"/var/log"}) {
  lc::CheckPolicy p;
  p.script_dir = script_dir;
  p.log_dirs = std::move(log_dirs);
  p.script_args = true;
  return p;
}

lc::CheckOutcome run(const CheckSpec& s, const std::string& dir = "", std::vector<std::string> log_dirs = {"/var/log"}) {
  auto t0 = Clock::now();
  auto o = lc::run_check(s, policy(dir, std::move(log_dirs)));
  std::printf("[measure] %-11s %-8s %4lld ms  %s\n", lc::to_string(s.kind).c_str(), o.healthy ? "healthy" : "UNHEALTHY",
              elapsed_ms(t0), o.detail.c_str());
  return o;
}

// A listening socket on 127.0.0.1 with an ephemeral port.
int listen_local(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// Minimal HTTP server: /ok -> 200, /slow -> never answers, else 404.
class TinyHttpServer {
 public:
  TinyHttpServer() {
    fd_ = listen_local(&port_);
    if (fd_ >= 0) thread_ = std::thread([this] { loop(); });
  }
  ~TinyHttpServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }
  std::string last_request() {
    std::lock_guard<std::mutex> lk(mu_);
    return last_;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string req;
      while (!stop_ && req.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 20) <= 0) continue;
        char buf[1024];
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard<std::mutex> lk(mu_);
        last_ = req;
      }
      if (req.rfind("GET /slow ", 0) == 0) {  // hold until the client gives up
        while (!stop_) {
          pollfd q{c, POLLIN, 0};
          if (::poll(&q, 1, 20) > 0) {
            char b;
            if (::recv(c, &b, 1, 0) <= 0) break;
          }
        }
      } else {
        std::string resp = req.rfind("GET /ok ", 0) == 0
                               ? "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
                               : "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        (void)!::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::string last_;
};

// ---- kinds / validation ---------------------------------------------------

// The kinds the controller and the agent accept (rules::kMonitorKinds, one list) are
// exactly the kinds this host runs: each name parses and prints back, and there are as
// many as CheckKind has values (the last one, Script, maps to the last index).
TEST(CheckKindTest, EveryAcceptedKindRunsHereAndNoOther) {
  for (const char* n : poolha::rules::kMonitorKinds) {
    auto k = lc::parse_check_kind(n);
    ASSERT_TRUE(k.has_value()) << n << " is accepted by rules::check_monitor but has no check on Linux";
    EXPECT_EQ(lc::to_string(*k), n);
  }
  EXPECT_EQ(static_cast<size_t>(CheckKind::Script) + 1, poolha::rules::kMonitorKinds.size())
      << "CheckKind has a kind rules::kMonitorKinds does not list";
  EXPECT_FALSE(lc::parse_check_kind("Process").has_value());
  EXPECT_FALSE(lc::parse_check_kind("").has_value());
  EXPECT_FALSE(lc::parse_check_kind("ping").has_value());
}

void expect_invalid(const CheckSpec& s, const std::string& needle, const lc::CheckPolicy& p = policy()) {
  auto st = lc::validate(s, p);
  ASSERT_FALSE(st.ok()) << "expected invalid: " << lc::to_string(s.kind) << " (" << needle << ")";
  EXPECT_NE(st.error().find(needle), std::string::npos) << st.error();
}

TEST(ValidateTest, NamesMissingOrBadParam) {
  expect_invalid(spec(CheckKind::Process, {}), "'name' or 'cmdline'");
  expect_invalid(spec(CheckKind::Process, {{"name", "x"}, {"min_count", "0"}}), "min_count");
  expect_invalid(spec(CheckKind::Process, {{"name", "x"}, {"colour", "red"}}), "unknown param 'colour'");
  expect_invalid(spec(CheckKind::Service, {}), "missing param 'unit'");
  expect_invalid(spec(CheckKind::Service, {{"unit", "--now"}}), "unit");
  expect_invalid(spec(CheckKind::Service, {{"unit", "a b"}}), "unit");
  expect_invalid(spec(CheckKind::TcpPort, {}), "missing param 'port'");
  expect_invalid(spec(CheckKind::TcpPort, {{"port", "70000"}}), "'port'");
  expect_invalid(spec(CheckKind::TcpPort, {{"port", "80"}, {"host", "example.com"}}), "'host'");
  expect_invalid(spec(CheckKind::Http, {}), "missing param 'url'");
  expect_invalid(spec(CheckKind::Http, {{"url", "https://127.0.0.1/"}}), "https");
  expect_invalid(spec(CheckKind::Http, {{"url", "ftp://127.0.0.1/"}}), "http://");
  expect_invalid(spec(CheckKind::Http, {{"url", "http://127.0.0.1:0/"}}), "bad port");
  expect_invalid(spec(CheckKind::Http, {{"url", "http://localhost/"}}), "no DNS");
  expect_invalid(spec(CheckKind::Http, {{"url", "http://127.0.0.1/"}, {"expect_status", "2000"}}), "expect_status");
  expect_invalid(spec(CheckKind::Cpu, {}), "missing param 'max_percent'");
  expect_invalid(spec(CheckKind::Cpu, {{"max_percent", "101"}}), "max_percent");
  expect_invalid(spec(CheckKind::Memory, {{"max_percent", "abc"}}), "max_percent");
  expect_invalid(spec(CheckKind::Disk, {{"max_percent", "90"}}), "missing param 'path'");
  expect_invalid(spec(CheckKind::Disk, {{"path", "relative"}, {"max_percent", "90"}}), "absolute");
  expect_invalid(spec(CheckKind::NicLink, {}), "missing param 'interface'");
  expect_invalid(spec(CheckKind::NicLink, {{"interface", "../eth0"}}), "interface");
  expect_invalid(spec(CheckKind::Gateway, {}), "missing param 'address'");
  expect_invalid(spec(CheckKind::Gateway, {{"address", "198.18.0.300"}}), "not an IPv4");
  expect_invalid(spec(CheckKind::LogPattern, {{"path", "/var/log/x"}}), "missing param 'pattern'");
  expect_invalid(spec(CheckKind::LogPattern, {{"path", "/var/log/x"}, {"pattern", "([a-"}}), "not a valid RE2 pattern");
  // Issue 9 §3: the controller names the path and the agent runs as root.
  expect_invalid(spec(CheckKind::LogPattern, {{"path", "/root/.bash_history"}, {"pattern", "pass"}}), "outside this host's log_dirs");
  expect_invalid(spec(CheckKind::LogPattern, {{"path", "/var/log/../../etc/shadow"}, {"pattern", "x"}}), "'..'");
  expect_invalid(spec(CheckKind::LogPattern, {{"path", "/dev/watchdog"}, {"pattern", "x"}}), "outside this host's log_dirs");
  expect_invalid(spec(CheckKind::LogPattern, {{"path", "/var/log/app.log"}, {"pattern", "x"}}), "lists no log_dirs",
                 policy("", {}));
  expect_invalid(spec(CheckKind::LogPattern, {{"path", "/var/log/app.log"}, {"pattern", std::string(2000, 'a')}}),
                 "longer than 1024 bytes");
  expect_invalid(spec(CheckKind::LogPattern, {{"path", "/var/log/app.log"}, {"pattern", "x"}, {"encoding", "latin1"}}),
                 "'encoding'");
  lc::CheckPolicy no_args = policy();
  no_args.script_args = false;
  expect_invalid(spec(CheckKind::Script, {{"name", "check.sh"}, {"args", "-c id"}}), "may not take arguments", no_args);
  expect_invalid(spec(CheckKind::Script, {{"name", "check.sh"}, {"args", "$(id)"}}), "not a plain argument");
  expect_invalid(spec(CheckKind::Script, {}), "missing param 'name'");
  expect_invalid(spec(CheckKind::Script, {{"name", "../evil.sh"}}), "'..'");
  expect_invalid(spec(CheckKind::Script, {{"name", "/bin/sh"}}), "relative");
  expect_invalid(spec(CheckKind::Memory, {{"max_percent", "90"}}, milliseconds(0)), "timeout");
}

TEST(ValidateTest, AcceptsGoodSpecs) {
  for (const auto& s : {
           spec(CheckKind::Process, {{"name", "sshd"}, {"min_count", "2"}}),
           spec(CheckKind::Process, {{"cmdline", "java -jar app.jar"}}),
           spec(CheckKind::Service, {{"unit", "nginx.service"}}),
           spec(CheckKind::Service, {{"unit", "getty@tty1.service"}}),
           spec(CheckKind::TcpPort, {{"port", "8080"}}),
           spec(CheckKind::TcpPort, {{"host", "::1"}, {"port", "8080"}}),
           spec(CheckKind::Http, {{"url", "http://127.0.0.1:8080/health?x=1"}, {"expect_status", "204"}}),
           spec(CheckKind::Http, {{"url", "http://[::1]/"}}),
           spec(CheckKind::Cpu, {{"max_percent", "95.5"}}),
           spec(CheckKind::Memory, {{"max_percent", "90"}}),
           spec(CheckKind::Disk, {{"path", "/"}, {"max_percent", "90"}}),
           spec(CheckKind::Disk, {{"path", "/data/"}, {"max_percent", "90"}}),  // as before issue 12's refactor
           spec(CheckKind::NicLink, {{"interface", "eth0"}}),
           spec(CheckKind::Gateway, {{"address", "198.18.0.1"}}),
           spec(CheckKind::LogPattern, {{"path", "/var/log/app.log"}, {"pattern", "ERROR|FATAL"}}),
           spec(CheckKind::LogPattern, {{"path", "/var/log/app/gw.log"}, {"pattern", "\xE5\xA4\xB1\xE8\xB4\xA5"}, {"encoding", "gbk"}}),
           spec(CheckKind::Script, {{"name", "check_db.sh"}, {"args", "--quick 5"}}),
       }) {
    auto st = lc::validate(s, policy());
    EXPECT_TRUE(st.ok()) << lc::to_string(s.kind) << ": " << st.error();
  }
}

TEST(RunCheckTest, InvalidSpecIsUnhealthyWithReason) {
  auto o = lc::run_check(spec(CheckKind::TcpPort, {}), policy());
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("missing param 'port'"), std::string::npos) << o.detail;
}

// ---- process --------------------------------------------------------------

std::string own_comm() {
  std::ifstream in("/proc/self/comm");
  std::string s;
  std::getline(in, s);
  return s;
}

TEST(ProcessCheckTest, FindsOwnProcessByComm) {
  std::string comm = own_comm();
  ASSERT_FALSE(comm.empty());
  auto o = run(spec(CheckKind::Process, {{"name", comm}}));
  EXPECT_TRUE(o.healthy) << o.detail;
  EXPECT_NE(o.detail.find("comm=" + comm), std::string::npos);
  o = run(spec(CheckKind::Process, {{"name", comm}, {"min_count", "100000"}}));
  EXPECT_FALSE(o.healthy) << o.detail;
}

TEST(ProcessCheckTest, FindsOwnProcessByCmdlineSubstring) {
  std::ifstream in("/proc/self/cmdline");
  std::string argv0;
  std::getline(in, argv0, '\0');
  std::string base = argv0.substr(argv0.find_last_of('/') + 1);
  auto o = run(spec(CheckKind::Process, {{"cmdline", base}, {"name", own_comm()}}));
  EXPECT_TRUE(o.healthy) << o.detail;
}

TEST(ProcessCheckTest, MissingProcessIsUnhealthy) {
  auto o = run(spec(CheckKind::Process, {{"name", "poolha-no-such"}}));
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("0 running"), std::string::npos) << o.detail;
}

// ---- tcp / http -----------------------------------------------------------

TEST(TcpCheckTest, OpenPortHealthyClosedPortRefused) {
  int port = 0;
  int fd = listen_local(&port);
  ASSERT_GE(fd, 0);
  auto o = run(spec(CheckKind::TcpPort, {{"port", std::to_string(port)}}));
  EXPECT_TRUE(o.healthy) << o.detail;
  ::close(fd);
  o = run(spec(CheckKind::TcpPort, {{"host", "127.0.0.1"}, {"port", std::to_string(port)}}));
  EXPECT_FALSE(o.healthy);
  EXPECT_EQ(o.detail, "port 127.0.0.1:" + std::to_string(port) + " refused");
}

TEST(TcpCheckTest, UnansweredConnectTimesOutWithinBound) {
  // A loopback listener whose accept queue is full drops further SYNs, so a
  // connect neither succeeds nor is refused. (Off-host addresses are not used:
  // sandboxes may run transparent proxies that accept any TCP connection.)
  int port = 0;
  int fd = listen_local(&port);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::listen(fd, 0), 0);
  std::vector<int> fillers;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  for (int i = 0; i < 4; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    (void)::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fillers.push_back(c);
  }
  std::this_thread::sleep_for(milliseconds(50));
  auto t0 = Clock::now();
  auto o = run(spec(CheckKind::TcpPort, {{"port", std::to_string(port)}}, milliseconds(300)));
  long long ms = elapsed_ms(t0);
  for (int c : fillers) ::close(c);
  ::close(fd);
  EXPECT_FALSE(o.healthy) << o.detail;
  EXPECT_NE(o.detail.find("timed out"), std::string::npos) << o.detail;
  EXPECT_GE(ms, 290);
  EXPECT_LT(ms, 300 + 150);
}

TEST(HttpCheckTest, StatusCodesAndTimeout) {
  TinyHttpServer srv;
  ASSERT_GT(srv.port(), 0);
  std::string base = "http://127.0.0.1:" + std::to_string(srv.port());
  auto o = run(spec(CheckKind::Http, {{"url", base + "/ok"}}));
  EXPECT_TRUE(o.healthy) << o.detail;
  EXPECT_NE(o.detail.find("-> 200"), std::string::npos);
  std::string req = srv.last_request();
  EXPECT_EQ(req.rfind("GET /ok HTTP/1.0\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("Host: 127.0.0.1:" + std::to_string(srv.port()) + "\r\n"), std::string::npos) << req;

  o = run(spec(CheckKind::Http, {{"url", base + "/missing"}}));
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("-> 404 (expect 200)"), std::string::npos) << o.detail;
  o = run(spec(CheckKind::Http, {{"url", base + "/missing"}, {"expect_status", "404"}}));
  EXPECT_TRUE(o.healthy) << o.detail;

  auto t0 = Clock::now();
  o = run(spec(CheckKind::Http, {{"url", base + "/slow"}}, milliseconds(300)));
  long long ms = elapsed_ms(t0);
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("no status line"), std::string::npos) << o.detail;
  EXPECT_GE(ms, 290);
  EXPECT_LT(ms, 300 + 150);
}

TEST(HttpCheckTest, RefusedWhenNothingListens) {
  int port = 0;
  int fd = listen_local(&port);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto o = run(spec(CheckKind::Http, {{"url", "http://127.0.0.1:" + std::to_string(port) + "/"}}));
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("refused"), std::string::npos) << o.detail;
}

// ---- cpu / memory / disk / nic -------------------------------------------

TEST(ResourceCheckTest, CpuSamplesTwiceWithinTimeout) {
  auto t0 = Clock::now();
  auto o = run(spec(CheckKind::Cpu, {{"max_percent", "100"}}));
  long long ms = elapsed_ms(t0);
  EXPECT_TRUE(o.healthy) << o.detail;
  EXPECT_NE(o.detail.find("busy"), std::string::npos);
  EXPECT_GE(ms, 190);
  EXPECT_LT(ms, 400);
  t0 = Clock::now();
  o = run(spec(CheckKind::Cpu, {{"max_percent", "100"}}, milliseconds(50)));
  EXPECT_LT(elapsed_ms(t0), 50 + 50);
}

TEST(ResourceCheckTest, MemoryAndDisk) {
  auto o = run(spec(CheckKind::Memory, {{"max_percent", "100"}}));
  EXPECT_TRUE(o.healthy) << o.detail;
  EXPECT_NE(o.detail.find("% used of"), std::string::npos);
  o = run(spec(CheckKind::Disk, {{"path", "/"}, {"max_percent", "100"}}));
  EXPECT_TRUE(o.healthy) << o.detail;
  EXPECT_EQ(o.detail.rfind("disk / ", 0), 0u) << o.detail;
  o = run(spec(CheckKind::Disk, {{"path", "/nonexistent-poolha"}, {"max_percent", "100"}}));
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("statvfs /nonexistent-poolha"), std::string::npos) << o.detail;
}

TEST(NicLinkCheckTest, LoopbackUnknownWithCarrierCountsAsUp) {
  auto o = run(spec(CheckKind::NicLink, {{"interface", "lo"}}));
  EXPECT_TRUE(o.healthy) << o.detail;
  EXPECT_NE(o.detail.find("carrier=1"), std::string::npos) << o.detail;
  o = run(spec(CheckKind::NicLink, {{"interface", "poolhanone0"}}));
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("not found"), std::string::npos) << o.detail;
}

// ---- gateway / ping -------------------------------------------------------

TEST(GatewayCheckTest, LoopbackAnswers) {
  auto t0 = Clock::now();
  auto r = lc::ping("127.0.0.1", milliseconds(1000));
  long long ms = elapsed_ms(t0);
  if (!r.ok()) GTEST_SKIP() << "no ICMP socket available: " << r.error();
  EXPECT_TRUE(r.value());
  std::printf("[measure] ping 127.0.0.1: %lld ms\n", ms);
  EXPECT_LT(ms, 200);
  auto o = run(spec(CheckKind::Gateway, {{"address", "127.0.0.1"}}));
  EXPECT_TRUE(o.healthy) << o.detail;
}

TEST(GatewayCheckTest, SilentAddressFailsWithinTimeout) {
  auto t0 = Clock::now();
  auto r = lc::ping("198.18.0.1", milliseconds(300));
  long long ms = elapsed_ms(t0);
  if (!r.ok()) GTEST_SKIP() << "no ICMP socket available: " << r.error();
  EXPECT_FALSE(r.value());
  std::printf("[measure] ping 198.18.0.1 (300 ms timeout): false after %lld ms\n", ms);
  EXPECT_LT(ms, 300 + 100);
  auto o = run(spec(CheckKind::Gateway, {{"address", "198.18.0.1"}}, milliseconds(300)));
  EXPECT_FALSE(o.healthy);
}

TEST(GatewayCheckTest, BadAddressIsError) {
  auto r = lc::ping("not-an-address", milliseconds(100));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("not-an-address"), std::string::npos);
}

// ---- log pattern ----------------------------------------------------------

class LogCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "poolha-log-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/app.log";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void append(const std::string& s) { std::ofstream(path_, std::ios::app) << s; }
  lc::CheckOutcome check() {
    return run(spec(CheckKind::LogPattern, {{"path", path_}, {"pattern", "ERROR|FATAL"}}), "", {dir_});
  }
  std::string dir_, path_;
};

TEST_F(LogCheckTest, NewMatchingLineIsUnhealthyOnce) {
  append("old ERROR that predates the watch\n");
  EXPECT_TRUE(check().healthy);  // first call starts at end of file
  append("info all fine\n");
  EXPECT_TRUE(check().healthy);
  append("info\n2024-01-01 ERROR disk on fire\nmore\n");
  auto o = check();
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("1 new line(s)"), std::string::npos) << o.detail;
  EXPECT_NE(o.detail.find("ERROR disk on fire"), std::string::npos) << o.detail;
  EXPECT_TRUE(check().healthy);  // already consumed
}

TEST_F(LogCheckTest, PartialLineWaitsForNewline) {
  append("start\n");
  EXPECT_TRUE(check().healthy);
  append("FATAL half");
  EXPECT_TRUE(check().healthy);
  append(" written\n");
  auto o = check();
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("FATAL half written"), std::string::npos) << o.detail;
}

TEST_F(LogCheckTest, TruncationAndRotationRestartAtZero) {
  append("a long line to make the file larger than what comes next\n");
  EXPECT_TRUE(check().healthy);
  std::ofstream(path_, std::ios::trunc) << "ERROR\n";  // truncated, then shorter content
  auto o = check();
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("truncated"), std::string::npos) << o.detail;
  EXPECT_TRUE(check().healthy);

  fs::rename(path_, path_ + ".1");
  std::ofstream(path_) << "FATAL in the new file\n";
  o = check();
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("replaced"), std::string::npos) << o.detail;
}

// Issue 9 §3: root opened any path the controller named, device nodes included, and
// ran an unbounded regex. Only regular files inside log_dirs are read now, never
// through a link that leads out, and patterns are RE2.
TEST_F(LogCheckTest, OnlyRegularFilesInsideLogDirsAreRead) {
  auto check_path = [&](const std::string& p) {
    return run(spec(CheckKind::LogPattern, {{"path", p}, {"pattern", "x"}}), "", {dir_});
  };
  ASSERT_EQ(::symlink("/etc/passwd", (dir_ + "/passwd.log").c_str()), 0);
  auto o = check_path(dir_ + "/passwd.log");
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("outside this host's log_dirs"), std::string::npos) << o.detail;
  ASSERT_EQ(::symlink("/dev/zero", (dir_ + "/zero.log").c_str()), 0);
  o = check_path(dir_ + "/zero.log");
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("outside this host's log_dirs"), std::string::npos) << o.detail;
  ASSERT_EQ(::mkfifo((dir_ + "/fifo.log").c_str(), 0600), 0);
  const auto t0 = Clock::now();
  o = check_path(dir_ + "/fifo.log");  // opening a FIFO would block: it is never opened
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("not a regular file"), std::string::npos) << o.detail;
  EXPECT_LT(elapsed_ms(t0), 500);
}

TEST_F(LogCheckTest, GbkLogIsDecodedBeforeMatching) {
  auto check_gbk = [&] {
    // 失败 ("failed") as the pattern, in UTF-8; the log is written in GBK.
    return run(spec(CheckKind::LogPattern, {{"path", path_}, {"pattern", "\xE5\xA4\xB1\xE8\xB4\xA5"}, {"encoding", "gbk"}}),
               "", {dir_});
  };
  append("start\n");
  EXPECT_TRUE(check_gbk().healthy);
  append("2026-11-30 \xBD\xBB\xD2\xD7\xCA\xA7\xB0\xDC code=17 \xFF\n");  // 交易失败 in GBK, then a stray byte
  auto o = check_gbk();
  EXPECT_FALSE(o.healthy) << o.detail;
  EXPECT_NE(o.detail.find("\xE4\xBA\xA4\xE6\x98\x93\xE5\xA4\xB1\xE8\xB4\xA5 code=17"), std::string::npos) << o.detail;
  EXPECT_TRUE(poolha::text::is_valid_utf8(o.detail));
}

// Windows services often log in UTF-16 (with a byte-order mark): lines end at U+000A on
// even offsets, a line cut between two reads is completed next time.
TEST_F(LogCheckTest, Utf16LogIsSplitAndDecodedBeforeMatching) {
  auto u16 = [](const std::u16string& s) {
    std::string out;
    for (char16_t c : s) {
      out += static_cast<char>(c & 0xFF);
      out += static_cast<char>(c >> 8);
    }
    return out;
  };
  auto check16 = [&] {
    return run(spec(CheckKind::LogPattern, {{"path", path_}, {"pattern", "\xE5\xA4\xB1\xE8\xB4\xA5 code=(\\d+)"},
                                            {"encoding", "utf-16"}}),
               "", {dir_});
  };
  append("\xFF\xFE" + u16(u"service started\r\n"));
  EXPECT_TRUE(check16().healthy);
  // 交易失败 code=17, written in two parts: the first ends inside a UTF-16 unit.
  const std::string line = u16(u"2026-12-01 \u4EA4\u6613\u5931\u8D25 code=17\r\n");
  append(line.substr(0, 9));
  auto o = check16();
  EXPECT_TRUE(o.healthy) << "half a line is not a line yet: " << o.detail;
  append(line.substr(9) + u16(u"\u0A0Aafter\r\n"));  // U+0A0A is "\n\n" on odd offsets: not a line end
  o = check16();
  EXPECT_FALSE(o.healthy) << o.detail;
  EXPECT_NE(o.detail.find("1 new line(s) match"), std::string::npos) << o.detail;
  EXPECT_NE(o.detail.find("\xE4\xBA\xA4\xE6\x98\x93\xE5\xA4\xB1\xE8\xB4\xA5 code=17"), std::string::npos) << o.detail;
  EXPECT_TRUE(check16().healthy) << "nothing new";
}

TEST_F(LogCheckTest, PatternTimeIsLinear) {
  append("start\n");
  auto evil = [&] { return run(spec(CheckKind::LogPattern, {{"path", path_}, {"pattern", "(a+)+$"}}), "", {dir_}); };
  EXPECT_TRUE(evil().healthy);
  for (int i = 0; i < 2000; ++i) append(std::string(4000, 'a') + "!\n");  // catastrophic for a backtracker
  const auto t0 = Clock::now();
  auto o = evil();
  const auto ms = elapsed_ms(t0);
  std::printf("[measure] RE2 '(a+)+$' over 2000 lines of 4000 'a' + '!': %lld ms (std::regex backtracks exponentially)\n",
              static_cast<long long>(ms));
  EXPECT_TRUE(o.healthy) << o.detail;
  EXPECT_LT(ms, 1000);
}

TEST_F(LogCheckTest, MissingFileIsHealthyAndReadFromStartWhenItAppears) {
  auto o = check();
  EXPECT_TRUE(o.healthy);
  EXPECT_NE(o.detail.find("absent"), std::string::npos) << o.detail;
  append("ERROR right at the start\n");
  o = check();
  EXPECT_FALSE(o.healthy) << o.detail;
}

// ---- script / service -----------------------------------------------------

std::string secure_script_dir() {
  // Must be root-owned and not group/world-writable up to / (so not /tmp).
  for (const char* base : {"/run", "/root", "/var/lib"}) {
    struct stat st {};
    if (::stat(base, &st) == 0 && st.st_uid == 0 && !(st.st_mode & 022) && ::access(base, W_OK) == 0) {
      std::string tmpl = std::string(base) + "/poolha-chk-test-XXXXXX";
      if (::mkdtemp(tmpl.data())) {
        ::chmod(tmpl.c_str(), 0755);
        return tmpl;
      }
    }
  }
  return "";
}

TEST(ScriptCheckTest, ExitCodeDecidesHealth) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for the script ownership rules";
  std::string dir = secure_script_dir();
  if (dir.empty()) GTEST_SKIP() << "no secure base dir";
  auto put = [&](const std::string& n, const std::string& body) {
    std::ofstream(dir + "/" + n) << "#!/bin/sh\n" << body << "\n";
    ::chmod((dir + "/" + n).c_str(), 0755);
  };
  put("ok.sh", "[ \"$POOLHA_CHECK\" = 1 ] && [ \"$1\" = a ] && [ \"$2\" = b ] && echo fine");
  put("bad.sh", "echo 'db down'; exit 3");
  put("slow.sh", "exec sleep 10");
  auto o = run(spec(CheckKind::Script, {{"name", "ok.sh"}, {"args", "a  b"}}), dir);
  EXPECT_TRUE(o.healthy) << o.detail;
  EXPECT_NE(o.detail.find("fine"), std::string::npos);
  o = run(spec(CheckKind::Script, {{"name", "bad.sh"}}), dir);
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("exited 3"), std::string::npos) << o.detail;
  EXPECT_NE(o.detail.find("db down"), std::string::npos) << o.detail;
  auto t0 = Clock::now();
  o = run(spec(CheckKind::Script, {{"name", "slow.sh"}}, milliseconds(300)), dir);
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("timed out"), std::string::npos) << o.detail;
  EXPECT_LT(elapsed_ms(t0), 300 + 200);
  o = run(spec(CheckKind::Script, {{"name", "missing.sh"}}), dir);
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("not run"), std::string::npos) << o.detail;
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST(ServiceCheckTest, UnknownUnitIsUnhealthyWithinTimeout) {
  auto t0 = Clock::now();
  auto o = run(spec(CheckKind::Service, {{"unit", "poolha-no-such-unit.service"}}, milliseconds(2000)));
  EXPECT_FALSE(o.healthy);
  EXPECT_NE(o.detail.find("poolha-no-such-unit.service"), std::string::npos) << o.detail;
  EXPECT_LT(elapsed_ms(t0), 2000 + 700);
}

}  // namespace
