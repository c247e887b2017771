#include "host/linux/keeper_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace poolha::host::linux_keeper {

namespace {

std::string pid_file(const std::string& state_dir) { return state_dir + "/lease-keeper.pid"; }

std::string cmdline_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string canonical_dir(const std::string& d) {
  char buf[PATH_MAX];
  return ::realpath(d.c_str(), buf) ? std::string(buf) : d;
}

// Whether two paths name the same file. By device and inode, not by name: the
// /proc/PID/exe of a process in another mount namespace (each `ip netns exec`, a
// chroot, a unit with its own namespace) reads as another path for the same file.
bool same_file(const std::string& a, const std::string& b) {
  struct stat sa{}, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// Exited, or exited and not yet reaped (a zombie still answers kill(pid, 0); the
// keeper's parent is init or a subreaper, which reaps when it gets round to it).
bool gone(int pid) {
  if (::kill(pid, 0) != 0) return true;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

}  // namespace

int running_keeper(const std::string& state_dir) {
  std::ifstream in(pid_file(state_dir));
  long pid = 0;
  if (!(in >> pid) || pid <= 1 || pid > INT_MAX) return 0;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return 0;
  // A recycled pid must not count: the command line must be ours, for this directory.
  const std::string cmd = cmdline_of(static_cast<int>(pid));
  std::vector<std::string> argv;
  for (size_t i = 0; i < cmd.size();) {
    size_t z = cmd.find('\0', i);
    if (z == std::string::npos) z = cmd.size();
    argv.push_back(cmd.substr(i, z - i));
    i = z + 1;
  }
  if (argv.empty() || argv[0].find("poolha-lease-keeper") == std::string::npos) return 0;
  for (size_t i = 1; i + 1 < argv.size(); ++i)
    if (argv[i] == "--state-dir" && canonical_dir(argv[i + 1]) == canonical_dir(state_dir)) return static_cast<int>(pid);
  return 0;
}

void stop_stale_keeper(const std::string& keeper_binary, const std::string& state_dir) {
  const int pid = running_keeper(state_dir);
  if (pid == 0) return;
  if (same_file("/proc/" + std::to_string(pid) + "/exe", keeper_binary)) return;  // the current binary
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 50 && !gone(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!gone(pid)) ::kill(pid, SIGKILL);
}

std::string keeper_beside_self() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "poolha-lease-keeper";
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + "poolha-lease-keeper";
}

Status write_pid_file(const std::string& state_dir) {
  const std::string path = pid_file(state_dir), tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << ::getpid() << "\n";
    if (!out) return Status::Error("pid file " + tmp + ": cannot write");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::Error("pid file " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

Expected<int> ensure_keeper(const std::string& keeper_binary, const std::string& state_dir) {
  if (int pid = running_keeper(state_dir)) return pid;
  if (::access(keeper_binary.c_str(), X_OK) != 0)
    return Expected<int>::Error("lease keeper " + keeper_binary + ": " + std::strerror(errno));
  const std::string log = state_dir + "/lease-keeper.log";
  const pid_t child = ::fork();
  if (child < 0) return Expected<int>::Error(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    // Intermediate child: new session, fork again so the keeper is re-parented to
    // init and never becomes our zombie; only async-signal-safe calls from here.
    ::setsid();
    const pid_t grandchild = ::fork();
    if (grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    if (log_fd >= 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
    }
    // Nothing else of ours may live on in the keeper: an inherited listening socket
    // would keep our port busy after we exit, and our restart could not bind it.
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);  // kernels before 5.9
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const char* argv[] = {keeper_binary.c_str(), "--state-dir", state_dir.c_str(), nullptr};
    ::execv(keeper_binary.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  // The keeper writes its pid file when it has mapped the lease; wait for it briefly.
  for (int i = 0; i < 50; ++i) {
    if (int pid = running_keeper(state_dir)) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Expected<int>::Error("lease keeper did not start; see " + log);
}

}  // namespace poolha::host::linux_keeper
