// The Windows script runner under wine: real cmd.exe, real job objects, real pipes.
// Each test prints what it measured.
#include <windows.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "common/text_encoding.h"
#include "common/windows/wide.h"
#include "host/windows/script_runner_win.h"
#include "win_test_support.h"

namespace poolha {
namespace {

using namespace host::windows;
using std::chrono::milliseconds;

// A script directory as the MSI leaves it: admins only.
struct ScriptDir {
  test::ScratchDir dir;
  ScriptDir() { EXPECT_TRUE(test::set_admin_only(dir.path())) << "cannot set the test directory's permissions"; }
  void add(const std::string& name, const std::string& body) {
    test::write_bytes(dir.file(name), body);
    EXPECT_TRUE(test::set_admin_only(dir.file(name)));
  }
};

TEST(ScriptRunnerWin, BatchExitCodeOutputAndEnvironment) {
  ScriptDir d;
  d.add("acquire.bat",
        "@echo off\r\necho rule=%POOLHA_RULE% vip=%POOLHA_VIP%\r\necho root=%SystemRoot%\r\necho path=%PATH%\r\n"
        "echo err 1>&2\r\nexit /b 3\r\n");
  auto r = run_script(d.dir.path(), "acquire.bat", {}, {{"POOLHA_RULE", "gw1"}, {"POOLHA_VIP", "198.18.1.10/24"},
                                                          {"PATH", "C:\\evil"}}, milliseconds(20000));
  ASSERT_TRUE(r.ok()) << r.error();
  std::printf("batch: exit %d in %lld ms, output: %s\n", r->exit_code, static_cast<long long>(r->duration.count()),
              r->output.c_str());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->timed_out);
  EXPECT_NE(r->output.find("rule=gw1 vip=198.18.1.10/24"), std::string::npos);
  EXPECT_NE(r->output.find("root=" + system_root()), std::string::npos);
  EXPECT_EQ(r->output.find("C:\\evil"), std::string::npos) << "PATH is the system's, not the caller's";
  EXPECT_NE(r->output.find("err"), std::string::npos) << "stderr is captured too";
}

TEST(ScriptRunnerWin, TimeoutKillsTheWholeTree) {
  ScriptDir d;
  // cmd -> cmd -> ping: only the job object reaches the grandchild.
  d.add("hang.cmd", "@echo off\r\necho started\r\ncmd /d /c ping -n 60 127.0.0.1 >nul\r\necho never\r\n");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_script(d.dir.path(), "hang.cmd", {}, {}, milliseconds(1500));
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok()) << r.error();
  std::printf("timeout: timed_out=%d exit %d after %lld ms (limit 1500 ms), output: %s\n", r->timed_out, r->exit_code,
              static_cast<long long>(took), r->output.c_str());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_LT(took, 4000) << "the pipe closed because every process of the tree was killed";
  EXPECT_NE(r->output.find("started"), std::string::npos);
  EXPECT_EQ(r->output.find("never"), std::string::npos);
}

TEST(ScriptRunnerWin, GbkOutputIsDecodedBeforeItLeavesTheHost) {
  ScriptDir d;
  // A batch file written in GBK, as on Chinese Windows: "echo 服务已启动".
  d.add("gbk.bat", "@echo off\r\necho \xB7\xFE\xCE\xF1\xD2\xD1\xC6\xF4\xB6\xAF\r\n");
  auto r = run_script(d.dir.path(), "gbk.bat", {}, {}, milliseconds(20000));
  ASSERT_TRUE(r.ok()) << r.error();
  const std::string text = text::decode_to_utf8(r->output, text::Encoding::Gbk);
  std::printf("gbk: raw %zu bytes -> %s\n", r->output.size(), text.c_str());
  EXPECT_NE(text.find("服务已启动"), std::string::npos);
}

TEST(ScriptRunnerWin, OutputIsCappedAt64KiB) {
  ScriptDir d;
  d.add("loud.bat", "@echo off\r\nfor /l %%i in (1,1,3000) do echo 0123456789012345678901234567890123456789\r\n");
  auto r = run_script(d.dir.path(), "loud.bat", {}, {}, milliseconds(60000));
  ASSERT_TRUE(r.ok()) << r.error();
  std::printf("cap: %zu bytes kept, exit %d in %lld ms\n", r->output.size(), r->exit_code,
              static_cast<long long>(r->duration.count()));
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_NE(r->output.find("[poolha: output truncated at 65536 bytes;"), std::string::npos);
  EXPECT_LT(r->output.size(), kScriptOutputCap + 200);
}

TEST(ScriptRunnerWin, ArgumentsReachTheScriptAndBatchMetacharactersAreRefused) {
  ScriptDir d;
  d.add("args.cmd", "@echo off\r\necho [%1] [%2]\r\n");
  auto r = run_script(d.dir.path(), "args.cmd", {"one", "two words"}, {}, milliseconds(20000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_NE(r->output.find("[one] [\"two words\"]"), std::string::npos) << r->output;
  auto bad = run_script(d.dir.path(), "args.cmd", {"%COMSPEC%"}, {}, milliseconds(20000));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("cmd.exe interprets"), std::string::npos) << bad.error();
}

// .ps1 goes through powershell.exe -File with the agreed flags, and its exit code is the
// script's. Wine's PowerShell is a stub: a stand-in (fake_powershell_main.cc) takes its
// place in the test prefix and says what it was given; on Windows the real one would run.
TEST(ScriptRunnerWin, PowerShellScriptsRunThroughPowerShellWithTheirExitCode) {
  const std::string ps_dir = system_root() + "\\System32\\WindowsPowerShell\\v1.0";
  const std::string ps = ps_dir + "\\powershell.exe";
  // Wine's own powershell.exe is a stub that does nothing: under wine, ours replaces it.
  const bool wine = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr;
  if (wine || GetFileAttributesW(win::widen(ps).c_str()) == INVALID_FILE_ATTRIBUTES) {
    const char* fake = std::getenv("POOLHA_FAKE_POWERSHELL");
    ASSERT_NE(fake, nullptr) << "POOLHA_FAKE_POWERSHELL is not set (CTest sets it)";
    CreateDirectoryW(win::widen(system_root() + "\\System32\\WindowsPowerShell").c_str(), nullptr);
    CreateDirectoryW(win::widen(ps_dir).c_str(), nullptr);
    ASSERT_TRUE(CopyFileW(win::widen(fake).c_str(), win::widen(ps).c_str(), FALSE)) << win::last_error_text();
  }
  ScriptDir d;
  d.add("check.ps1", "Write-Output \"gateway up\"\r\nexit 7\r\n");
  auto r = run_script(d.dir.path(), "check.ps1", {"198.18.1.10/24", "two words"}, {}, milliseconds(20000));
  ASSERT_TRUE(r.ok()) << r.error();
  std::printf("ps1: exit %d in %lld ms, output: %s\n", r->exit_code, static_cast<long long>(r->duration.count()),
              r->output.c_str());
  EXPECT_EQ(r->exit_code, 7);
  for (const char* want : {"arg: -NoLogo", "arg: -NoProfile", "arg: -NonInteractive", "arg: -ExecutionPolicy\r\narg: Bypass",
                           "arg: -File", "check.ps1", "arg: 198.18.1.10/24", "arg: two words"})
    EXPECT_NE(r->output.find(want), std::string::npos) << want << " in " << r->output;
}

TEST(ScriptRunnerWin, AScriptOthersMayChangeIsRefused) {
  ScriptDir d;
  d.add("ok.bat", "@exit /b 0\r\n");
  // Everyone may write the file itself (FILE_WRITE_DATA = 2).
  d.add("open.bat", "@exit /b 0\r\n");
  ASSERT_TRUE(test::set_admin_only(d.dir.file("open.bat"), 0x2));
  auto refused = run_script(d.dir.path(), "open.bat", {}, {}, milliseconds(5000));
  ASSERT_FALSE(refused.ok());
  std::printf("refused: %s\n", refused.error().c_str());
  EXPECT_NE(refused.error().find("Everyone may change it"), std::string::npos) << refused.error();
  EXPECT_TRUE(run_script(d.dir.path(), "ok.bat", {}, {}, milliseconds(20000)).ok());
  // Everyone may add files to the directory: every script in it is refused.
  ASSERT_TRUE(test::set_admin_only(d.dir.path(), 0x2));
  auto dir_open = run_script(d.dir.path(), "ok.bat", {}, {}, milliseconds(5000));
  ASSERT_FALSE(dir_open.ok());
  EXPECT_NE(dir_open.error().find("Everyone may change it"), std::string::npos) << dir_open.error();
}

TEST(ScriptRunnerWin, NamesOutsideTheDirectoryOrOfOtherKindsAreRefused) {
  ScriptDir d;
  for (const char* name : {"..\\x.bat", "C:\\x.bat", "x.vbs", "sub\\..\\x.bat", "nul.bat", "x.bat:stream"}) {
    auto r = run_script(d.dir.path(), name, {}, {}, milliseconds(5000));
    EXPECT_FALSE(r.ok()) << name;
  }
  auto missing = run_script(d.dir.path(), "missing.bat", {}, {}, milliseconds(5000));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("missing.bat"), std::string::npos) << missing.error();
}

}  // namespace
}  // namespace poolha
