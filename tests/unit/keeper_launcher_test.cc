// stop_stale_keeper (host/linux/keeper_launcher.h): a keeper running the binary that is
// on disk now is left alone, one running another file is stopped; and stopping returns
// as soon as the keeper has exited, also while it is a zombie nobody has reaped yet
// (the agent's start-up waits on this, inside the isolation lease's hold).
//
// The stand-in keeper is /bin/sh with the keeper's command line (argv[0] names
// poolha-lease-keeper, then --state-dir DIR), which is what running_keeper checks.
#include "host/linux/keeper_launcher.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

namespace poolha::host::linux_keeper {
namespace {

class StaleKeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("poolha-keeper-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }
  // A stand-in keeper for dir_, our child (so it stays a zombie until we reap it).
  void spawn() {
    const std::string dir = dir_.string();
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::setpgid(0, 0);
      // "; :" keeps the shell from exec'ing sleep in its place.
      ::execl("/bin/sh", "poolha-lease-keeper", "-c", "sleep 30; :", "--state-dir", dir.c_str(), nullptr);
      ::_exit(127);
    }
    std::ofstream(dir_ / "lease-keeper.pid") << pid_ << "\n";
    for (int i = 0; i < 250 && running_keeper(dir) != pid_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(4));
    ASSERT_EQ(running_keeper(dir), pid_) << "the stand-in keeper did not start";
  }
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

TEST_F(StaleKeeperTest, TheCurrentBinaryIsLeftAndAnotherIsStoppedWithoutWaitingOutItsZombie) {
  spawn();
  // /bin/sh is a link: the same file by inode, whatever path /proc/PID/exe shows.
  stop_stale_keeper("/bin/sh", dir_.string());
  EXPECT_EQ(::kill(pid_, 0), 0) << "a keeper running the current binary was stopped";

  const auto t0 = std::chrono::steady_clock::now();
  stop_stale_keeper("/bin/true", dir_.string());  // the file on disk is another one now
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::printf("stale keeper stopped in %lld ms (SIGKILL only after 1000 ms)\n", static_cast<long long>(ms));
  int status = 0;
  ASSERT_EQ(::waitpid(pid_, &status, 0), pid_);
  ::kill(-pid_, SIGKILL);  // its sleep
  pid_ = -1;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "status " << status;
  // Returned on the zombie, not after the 1 s SIGKILL deadline.
  EXPECT_LT(ms, 900);
  EXPECT_EQ(running_keeper(dir_.string()), 0);
}

}  // namespace
}  // namespace poolha::host::linux_keeper
