// The isolation lease on Windows: one file mapped by two processes (the agent and the
// poolha-keeper service), coherent without flushing, on GetTickCount64's clock.
#include <windows.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "common/windows/wide.h"
#include "host/lease.h"
#include "win_test_support.h"

namespace poolha {
namespace {

using namespace host;

// Runs the peer, returns (exit code, stdout).
std::pair<int, std::string> peer(const std::vector<std::string>& args, bool wait = true, HANDLE* out_process = nullptr) {
  const char* exe = std::getenv("POOLHA_LEASE_PEER");
  EXPECT_NE(exe, nullptr) << "POOLHA_LEASE_PEER is not set (CTest sets it)";
  if (!exe) return {-1, ""};
  std::string cl = "\"" + std::string(exe) + "\"";
  for (const auto& a : args) cl += " \"" + a + "\"";
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  HANDLE rd = nullptr, wr = nullptr;
  CreatePipe(&rd, &wr, &sa, 0);
  SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdOutput = wr;
  si.hStdError = wr;
  PROCESS_INFORMATION pi{};
  std::wstring wcl = win::widen(cl);
  if (!CreateProcessW(nullptr, wcl.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si, &pi)) {
    ADD_FAILURE() << "cannot start the lease peer: " << win::last_error_text();
    CloseHandle(rd);
    CloseHandle(wr);
    return {-1, ""};
  }
  CloseHandle(wr);
  CloseHandle(pi.hThread);
  if (!wait) {
    CloseHandle(rd);
    *out_process = pi.hProcess;
    return {0, ""};
  }
  std::string out;
  char buf[512];
  DWORD n = 0;
  while (ReadFile(rd, buf, sizeof buf, &n, nullptr) && n > 0)
    for (DWORD i = 0; i < n; ++i)
      if (buf[i] != '\r') out += buf[i];  // the C runtime's text mode writes CRLF
  CloseHandle(rd);
  WaitForSingleObject(pi.hProcess, 30000);
  DWORD code = 0;
  GetExitCodeProcess(pi.hProcess, &code);
  CloseHandle(pi.hProcess);
  return {static_cast<int>(code), out};
}

TEST(LeaseFileWin, TheOtherProcessReadsTheHoldAndItsReleaseIsSeenHere) {
  test::ScratchDir dir;
  const std::string path = dir.file("lease");
  auto lease = LeaseFile::open(path, true);
  ASSERT_TRUE(lease.ok()) << lease.error();
  LeaseHold hold;
  hold.hold_until_ms = monotonic_ms() + 800;
  hold.vips = {{"以太网 2", "198.18.1.10/24"}, {"vEthernet (Internal Switch)", "198.18.1.11/24"}};
  ASSERT_TRUE(write_lease(lease->region(), hold).ok());

  auto [code, out] = peer({path, "read"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "generation 2 vips 2 first 以太网 2 198.18.1.10/24 hold " + std::to_string(hold.hold_until_ms) + "\n");

  EXPECT_FALSE(released(read_lease(lease->region())));
  EXPECT_EQ(peer({path, "release"}).first, 0);
  EXPECT_TRUE(released(read_lease(lease->region()))) << "the keeper's mark, seen through our own view";
}

TEST(LeaseFileWin, AtomicsAreSharedBetweenProcesses) {
  test::ScratchDir dir;
  const std::string path = dir.file("lease");
  auto lease = LeaseFile::open(path, true);
  ASSERT_TRUE(lease.ok()) << lease.error();
  lease->region().keeper_alive_ms.store(0);
  HANDLE a = nullptr, b = nullptr;
  peer({path, "add", "100000"}, false, &a);
  peer({path, "add", "100000"}, false, &b);
  for (int i = 0; i < 100000; ++i) lease->region().keeper_alive_ms.fetch_add(1);
  HANDLE both[2] = {a, b};
  ASSERT_EQ(WaitForMultipleObjects(2, both, TRUE, 60000), WAIT_OBJECT_0);
  CloseHandle(a);
  CloseHandle(b);
  EXPECT_EQ(lease->region().keeper_alive_ms.load(), 300000) << "three processes, 100,000 increments each";
}

TEST(LeaseFileWin, AWrongFileIsRefusedUnlessCreating) {
  test::ScratchDir dir;
  const std::string path = dir.file("lease");
  test::write_bytes(path, "not a lease");
  auto refused = LeaseFile::open(path, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("wrong size"), std::string::npos) << refused.error();
  auto fresh = LeaseFile::open(path, true);
  ASSERT_TRUE(fresh.ok()) << fresh.error();
  EXPECT_TRUE(lease_valid(fresh->region()));
  EXPECT_TRUE(read_lease(fresh->region()).hold.vips.empty());
}

TEST(LeaseFileWin, TheClockIsTheSystemTickCount) {
  const int64_t a = monotonic_ms();
  const auto tick = static_cast<int64_t>(GetTickCount64());
  EXPECT_LE(std::llabs(a - tick), 20) << "monotonic_ms must be GetTickCount64, the keeper's clock";
}

}  // namespace
}  // namespace poolha
