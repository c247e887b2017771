// Tests for host/linux/script_runner: real fork/exec of real scripts in a
// real directory. Must run as root for the ownership rules to be exercised
// (tests that need it skip otherwise).
#include "host/linux/script_runner.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace lc = poolha::host::linux_checks;
namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

// A directory whose whole path is root-owned and not group/world-writable
// (so /tmp, mode 1777, is not usable). Override with POOLHA_TEST_SECURE_DIR.
bool chain_secure(const std::string& dir) {
  std::string p = dir;
  while (true) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
    if (st.st_uid != 0 || (st.st_mode & 022)) return false;
    if (p == "/") return true;
    auto pos = p.find_last_of('/');
    p = pos == 0 ? "/" : p.substr(0, pos);
  }
}

std::string secure_base() {
  std::vector<std::string> cands;
  if (const char* e = std::getenv("POOLHA_TEST_SECURE_DIR")) cands.push_back(e);
  for (const char* c : {"/run", "/root", "/var/lib"}) cands.push_back(c);
  for (const auto& c : cands)
    if (chain_secure(c) && ::access(c.c_str(), W_OK) == 0) return c;
  return "";
}

class TempDir {
 public:
  TempDir() {
    std::string base = secure_base();
    if (base.empty()) return;
    std::string tmpl = base + "/poolha-sr-test-XXXXXX";
    if (char* p = ::mkdtemp(tmpl.data())) path_ = p;
    if (!path_.empty()) ::chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
      fs::remove_all(path_, ec);
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void write_script(const std::string& path, const std::string& body, mode_t mode = 0755) {
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  ::chmod(path.c_str(), mode);
}

bool process_gone(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return true;
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto rp = s.rfind(')');
  return rp != std::string::npos && rp + 2 < s.size() && s[rp + 2] == 'Z';
}

class ScriptRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (ownership rules of design §7)";
    if (dir_.path().empty()) GTEST_SKIP() << "no root-owned, non-writable base dir for temp scripts";
    scripts_ = dir_.path() + "/scripts";
    ASSERT_EQ(::mkdir(scripts_.c_str(), 0755), 0);
    ::chmod(scripts_.c_str(), 0755);
  }
  TempDir dir_;
  std::string scripts_;
};

TEST_F(ScriptRunnerTest, CapturesExitCodeAndMergedOutput) {
  write_script(scripts_ + "/s.sh", "echo to-stdout; echo to-stderr >&2; exit 7");
  auto r = lc::run_script(scripts_, "s.sh", {}, {}, milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_FALSE(r->timed_out);
  EXPECT_NE(r->output.find("to-stdout"), std::string::npos);
  EXPECT_NE(r->output.find("to-stderr"), std::string::npos);
  std::printf("[measure] fast script ran in %lld ms\n", static_cast<long long>(r->duration.count()));
  EXPECT_LT(r->duration.count(), 2000);
}

TEST_F(ScriptRunnerTest, PassesArgsWithoutShellInterpretation) {
  write_script(scripts_ + "/args.sh", "for a in \"$@\"; do echo \"<$a>\"; done");
  auto r = lc::run_script(scripts_, "args.sh", {"one", "two words", "$(id)", ";rm"}, {}, milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->output, "<one>\n<two words>\n<$(id)>\n<;rm>\n");
}

TEST_F(ScriptRunnerTest, EnvironmentIsOnlyWhatWasGivenPlusPath) {
  ::setenv("POOLHA_LEAK_CHECK", "leaked", 1);
  write_script(scripts_ + "/env.sh", "/usr/bin/env");
  auto r = lc::run_script(scripts_, "env.sh", {},
                          {{"POOLHA_RULE", "web"}, {"POOLHA_VIPS", "198.18.0.10 198.18.0.11"}, {"PATH", "/evil"}},
                          milliseconds(5000));
  ::unsetenv("POOLHA_LEAK_CHECK");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_NE(r->output.find("POOLHA_RULE=web\n"), std::string::npos) << r->output;
  EXPECT_NE(r->output.find("POOLHA_VIPS=198.18.0.10 198.18.0.11\n"), std::string::npos);
  EXPECT_NE(r->output.find("PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"), std::string::npos);
  EXPECT_EQ(r->output.find("/evil"), std::string::npos);
  EXPECT_EQ(r->output.find("POOLHA_LEAK_CHECK"), std::string::npos);
  EXPECT_EQ(r->output.find("HOME="), std::string::npos);
}

TEST_F(ScriptRunnerTest, RejectsBadEnvNames) {
  write_script(scripts_ + "/ok.sh", "exit 0");
  auto r = lc::run_script(scripts_, "ok.sh", {}, {{"A=B", "x"}}, milliseconds(1000));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("A=B"), std::string::npos) << r.error();
}

TEST_F(ScriptRunnerTest, StdinIsDevNull) {
  write_script(scripts_ + "/cat.sh", "cat; echo done");
  auto r = lc::run_script(scripts_, "cat.sh", {}, {}, milliseconds(3000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->output, "done\n");
}

TEST_F(ScriptRunnerTest, TimeoutTermsThenReturnsPromptly) {
  write_script(scripts_ + "/sleep.sh", "echo started; exec sleep 30");
  auto t0 = std::chrono::steady_clock::now();
  auto r = lc::run_script(scripts_, "sleep.sh", {}, {}, milliseconds(300));
  long long ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, 128 + SIGTERM);
  EXPECT_NE(r->output.find("started"), std::string::npos);
  std::printf("[measure] timeout 300 ms, SIGTERM honoured: returned after %lld ms (reported %lld ms)\n", ms,
              static_cast<long long>(r->duration.count()));
  EXPECT_GE(ms, 300);
  EXPECT_LT(ms, 300 + 400);
}

TEST_F(ScriptRunnerTest, TimeoutKillsWholeGroupEvenIfTermIgnored) {
  std::string pidfile = dir_.path() + "/bg.pid";
  write_script(scripts_ + "/stubborn.sh",
               "trap '' TERM\n(trap '' TERM; exec sleep 30) &\necho $! > " + pidfile + "\nwhile :; do sleep 1; done");
  auto t0 = std::chrono::steady_clock::now();
  auto r = lc::run_script(scripts_, "stubborn.sh", {}, {}, milliseconds(300));
  long long ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, 128 + SIGKILL);
  std::printf("[measure] timeout 300 ms, SIGTERM ignored -> SIGKILL: returned after %lld ms\n", ms);
  EXPECT_GE(ms, 300 + 500);
  EXPECT_LT(ms, 300 + 500 + 500);
  pid_t bg = 0;
  std::ifstream(pidfile) >> bg;
  ASSERT_GT(bg, 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = process_gone(bg);
    if (!gone) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(gone) << "background child " << bg << " of the timed-out script survived";
  if (!gone) ::kill(bg, SIGKILL);
}

TEST_F(ScriptRunnerTest, DaemonHoldingOutputDoesNotBlockReturn) {
  // A script that leaves a background process holding stdout open: we return
  // about 200 ms after the script itself exits, with its exit code.
  std::string pidfile = dir_.path() + "/daemon.pid";
  write_script(scripts_ + "/daemon.sh", "sleep 5 &\necho $! > " + pidfile + "\necho launched\nexit 4");
  auto r = lc::run_script(scripts_, "daemon.sh", {}, {}, milliseconds(3000));
  pid_t bg = 0;
  std::ifstream(pidfile) >> bg;
  if (bg > 0) ::kill(bg, SIGKILL);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_EQ(r->output, "launched\n");
  std::printf("[measure] script exiting with a daemon holding stdout returned after %lld ms\n",
              static_cast<long long>(r->duration.count()));
  EXPECT_LT(r->duration.count(), 600);
}

TEST_F(ScriptRunnerTest, OutputIsCappedWithNote) {
  write_script(scripts_ + "/loud.sh", "head -c 200000 /dev/zero | tr '\\000' x; echo; exit 0");
  auto r = lc::run_script(scripts_, "loud.sh", {}, {}, milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->exit_code, 0);  // the script was not blocked by a full pipe
  EXPECT_FALSE(r->timed_out);
  ASSERT_GT(r->output.size(), lc::kScriptOutputCap);
  EXPECT_LT(r->output.size(), lc::kScriptOutputCap + 200);
  EXPECT_EQ(r->output.substr(0, 10), "xxxxxxxxxx");
  EXPECT_NE(r->output.find("truncated"), std::string::npos);
  EXPECT_NE(r->output.find("134465 bytes dropped"), std::string::npos) << r->output.substr(lc::kScriptOutputCap);
  std::printf("[measure] 200001-byte output captured as %zu bytes in %lld ms\n", r->output.size(),
              static_cast<long long>(r->duration.count()));
}

TEST_F(ScriptRunnerTest, ExecFailureIsAnError) {
  std::ofstream(scripts_ + "/badinterp.sh") << "#!/nonexistent/interpreter\n";
  ::chmod((scripts_ + "/badinterp.sh").c_str(), 0755);
  auto r = lc::run_script(scripts_, "badinterp.sh", {}, {}, milliseconds(2000));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("exec"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("badinterp.sh"), std::string::npos) << r.error();
}

TEST_F(ScriptRunnerTest, AcceptsGoodScriptAndSubdirectory) {
  write_script(scripts_ + "/ok.sh", "exit 0");
  EXPECT_TRUE(lc::check_script_path(scripts_, "ok.sh").ok());
  ASSERT_EQ(::mkdir((scripts_ + "/sub").c_str(), 0755), 0);
  write_script(scripts_ + "/sub/ok.sh", "exit 0");
  auto s = lc::check_script_path(scripts_, "sub/ok.sh");
  EXPECT_TRUE(s.ok()) << s.error();
}

TEST_F(ScriptRunnerTest, RefusesDotDotAndAbsoluteNames) {
  write_script(dir_.path() + "/outside.sh", "exit 0");
  auto s = lc::check_script_path(scripts_, "../outside.sh");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find(".."), std::string::npos) << s.error();
  s = lc::check_script_path(scripts_, dir_.path() + "/outside.sh");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("absolute"), std::string::npos) << s.error();
  auto r = lc::run_script(scripts_, "../outside.sh", {}, {}, milliseconds(1000));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("refusing"), std::string::npos);
}

TEST_F(ScriptRunnerTest, RefusesSymlinkEscapingTheDir) {
  write_script(dir_.path() + "/outside.sh", "exit 0");
  ASSERT_EQ(::symlink((dir_.path() + "/outside.sh").c_str(), (scripts_ + "/link.sh").c_str()), 0);
  auto s = lc::check_script_path(scripts_, "link.sh");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("outside the script directory"), std::string::npos) << s.error();
  // A symlink that stays inside the directory is fine.
  write_script(scripts_ + "/real.sh", "exit 0");
  ASSERT_EQ(::symlink("real.sh", (scripts_ + "/alias.sh").c_str()), 0);
  EXPECT_TRUE(lc::check_script_path(scripts_, "alias.sh").ok());
}

TEST_F(ScriptRunnerTest, RefusesWritableFileOrDir) {
  write_script(scripts_ + "/ww.sh", "exit 0", 0757);
  ::chmod((scripts_ + "/ww.sh").c_str(), 0757);
  auto s = lc::check_script_path(scripts_, "ww.sh");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find(scripts_ + "/ww.sh is writable by group/others"), std::string::npos) << s.error();

  write_script(scripts_ + "/gw.sh", "exit 0");
  ::chmod((scripts_ + "/gw.sh").c_str(), 0775);
  s = lc::check_script_path(scripts_, "gw.sh");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("gw.sh is writable"), std::string::npos) << s.error();

  write_script(scripts_ + "/ok.sh", "exit 0");
  ::chmod(scripts_.c_str(), 0775);
  s = lc::check_script_path(scripts_, "ok.sh");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("component " + scripts_ + " is writable"), std::string::npos) << s.error();
  ::chmod(scripts_.c_str(), 0777);
  auto r = lc::run_script(scripts_, "ok.sh", {}, {}, milliseconds(1000));
  EXPECT_FALSE(r.ok());
  ::chmod(scripts_.c_str(), 0755);
  EXPECT_TRUE(lc::check_script_path(scripts_, "ok.sh").ok());
}

TEST_F(ScriptRunnerTest, RefusesNonRootOwnerAnywhereInPath) {
  write_script(scripts_ + "/owned.sh", "exit 0");
  ASSERT_EQ(::chown((scripts_ + "/owned.sh").c_str(), 12345, 0), 0);
  auto s = lc::check_script_path(scripts_, "owned.sh");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("owned by uid 12345"), std::string::npos) << s.error();

  write_script(scripts_ + "/ok.sh", "exit 0");
  ASSERT_EQ(::chown(scripts_.c_str(), 12345, 0), 0);
  s = lc::check_script_path(scripts_, "ok.sh");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find(scripts_ + " is owned by uid 12345"), std::string::npos) << s.error();
  ::chown(scripts_.c_str(), 0, 0);
}

// Issue 9 §3: script_dir as configured may itself go through a symlink. One that
// another user owns could later point the directory at /usr/bin.
TEST_F(ScriptRunnerTest, RefusesAConfiguredDirectoryThroughSomeoneElsesSymlink) {
  write_script(scripts_ + "/ok.sh", "exit 0");
  const std::string link = scripts_ + "-link";
  ASSERT_EQ(::symlink(scripts_.c_str(), link.c_str()), 0);
  EXPECT_TRUE(lc::check_script_path(link, "ok.sh").ok()) << "root's own link is fine";
  ASSERT_EQ(::lchown(link.c_str(), 12345, 0), 0);
  auto s = lc::check_script_path(link, "ok.sh");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("script directory component " + link + " is owned by uid 12345"), std::string::npos)
      << s.error();
  ::unlink(link.c_str());
}

TEST_F(ScriptRunnerTest, RefusesNonExecutableMissingAndNonRegular) {
  write_script(scripts_ + "/noexec.sh", "exit 0", 0644);
  auto s = lc::check_script_path(scripts_, "noexec.sh");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("not executable"), std::string::npos) << s.error();
  s = lc::check_script_path(scripts_, "missing.sh");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("missing.sh"), std::string::npos) << s.error();
  ASSERT_EQ(::mkdir((scripts_ + "/adir").c_str(), 0755), 0);
  s = lc::check_script_path(scripts_, "adir");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("not a regular file"), std::string::npos) << s.error();
}

TEST(ScriptRunnerPathTest, RefusesWorldWritableStickyTmp) {
  // Strict reading of design §7: /tmp (1777) is writable by others.
  if (::geteuid() != 0) GTEST_SKIP();
  std::string tmpl = "/tmp/poolha-sr-tmp-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  ::chmod(tmpl.c_str(), 0755);
  write_script(tmpl + "/x.sh", "exit 0");
  auto s = lc::check_script_path(tmpl, "x.sh");
  std::error_code ec;
  fs::remove_all(tmpl, ec);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("component /tmp is writable"), std::string::npos) << s.error();
}

TEST(RunProgramTest, RunsTrustedBinary) {
  auto r = lc::run_program("/bin/echo", {"hello", "world"}, milliseconds(2000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->output, "hello world\n");
  auto f = lc::run_program("/bin/false", {}, milliseconds(2000));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->exit_code, 1);
}

TEST(RunProgramTest, RejectsRelativeOrMissing) {
  auto r = lc::run_program("echo", {}, milliseconds(1000));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("not absolute"), std::string::npos);
  r = lc::run_program("/nonexistent/prog", {}, milliseconds(1000));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("/nonexistent/prog"), std::string::npos);
  r = lc::run_program("/bin/echo", {}, milliseconds(0));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("timeout"), std::string::npos);
}

TEST(RunProgramTest, TimeoutOfTrustedBinary) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = lc::run_program("/bin/sleep", {"10"}, milliseconds(200));
  long long ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->timed_out);
  std::printf("[measure] /bin/sleep 10 with 200 ms timeout returned after %lld ms\n", ms);
  EXPECT_LT(ms, 200 + 400);
}

}  // namespace
