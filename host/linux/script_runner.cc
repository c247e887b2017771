#include "host/linux/script_runner.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace poolha::host::linux_checks {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kKillGrace{500};
constexpr milliseconds kDrainAfterExit{200};

std::string errno_text(int e) { return std::strerror(e); }

std::string mode_text(mode_t m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

std::string parent_of(const std::string& p) {
  auto pos = p.find_last_of('/');
  if (pos == std::string::npos || pos == 0) return "/";
  return p.substr(0, pos);
}

Status validate_name(const std::string& name) {
  if (name.empty()) return Status::Error("script name is empty");
  if (name.find('\0') != std::string::npos) return Status::Error("script name contains a NUL byte");
  if (name.front() == '/')
    return Status::Error("script name '" + name + "' is absolute; it must be relative to the script directory");
  std::size_t start = 0;
  while (start <= name.size()) {
    auto end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string comp = name.substr(start, end - start);
    if (comp == "..") return Status::Error("script name '" + name + "' contains a '..' component");
    if (comp == ".") return Status::Error("script name '" + name + "' contains a '.' component");
    if (comp.empty()) return Status::Error("script name '" + name + "' contains an empty path component");
    start = end + 1;
  }
  return Status::Ok();
}

// The configured script_dir as written, before symlinks are resolved: a symlink on the
// way that someone else owns, or a directory someone else may write, could later point
// the directory at /usr/bin (issue 9 §3). Each component must be root's (or ours when
// not root) and, unless a symlink, not writable by group or others.
Status check_configured_chain(const std::string& script_dir) {
  const uid_t me = ::geteuid();
  std::string comp = script_dir;
  while (comp.size() > 1 && comp.back() == '/') comp.pop_back();
  while (true) {
    struct stat st {};
    if (::lstat(comp.c_str(), &st) != 0)
      return Status::Error("script directory component " + comp + ": " + errno_text(errno));
    if (st.st_uid != 0 && !(me != 0 && st.st_uid == me))
      return Status::Error("script directory component " + comp + " is owned by uid " + std::to_string(st.st_uid) +
                           ", not root");
    if (!S_ISLNK(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)))
      return Status::Error("script directory component " + comp + " is writable by group/others (mode " +
                           mode_text(st.st_mode) + ")");
    if (comp == "/" || comp.empty()) break;
    comp = parent_of(comp);
  }
  return Status::Ok();
}

// Returns the resolved absolute path of an accepted script.
Expected<std::string> resolve_script(const std::string& script_dir, const std::string& name) {
  if (Status s = validate_name(name); !s.ok()) return s;
  if (script_dir.empty()) return Expected<std::string>::Error("script directory is not configured");
  if (Status s = check_configured_chain(script_dir); !s.ok()) return s;
  char buf[PATH_MAX];
  if (!::realpath(script_dir.c_str(), buf))
    return Expected<std::string>::Error("script directory " + script_dir + ": " + errno_text(errno));
  std::string dir = buf;
  std::string joined = script_dir + "/" + name;
  if (!::realpath(joined.c_str(), buf))
    return Expected<std::string>::Error("script " + joined + ": " + errno_text(errno));
  std::string file = buf;
  std::string prefix = dir == "/" ? "/" : dir + "/";
  if (file.size() <= prefix.size() || file.compare(0, prefix.size(), prefix) != 0)
    return Expected<std::string>::Error("script " + joined + " resolves to " + file +
                                        ", outside the script directory " + dir);

  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0)
    return Expected<std::string>::Error("script " + file + ": " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) return Expected<std::string>::Error("script " + file + " is not a regular file");
  if ((st.st_mode & 0111) == 0 || ::access(file.c_str(), X_OK) != 0)
    return Expected<std::string>::Error("script " + file + " is not executable (mode " + mode_text(st.st_mode) +
                                        ")");

  const uid_t me = ::geteuid();
  std::string comp = file;
  while (true) {
    if (::lstat(comp.c_str(), &st) != 0)
      return Expected<std::string>::Error("script path component " + comp + ": " + errno_text(errno));
    if (st.st_mode & (S_IWGRP | S_IWOTH))
      return Expected<std::string>::Error("script path component " + comp + " is writable by group/others (mode " +
                                          mode_text(st.st_mode) + ")");
    if (st.st_uid != 0 && !(me != 0 && st.st_uid == me))
      return Expected<std::string>::Error("script path component " + comp + " is owned by uid " +
                                          std::to_string(st.st_uid) + ", not root");
    if (comp == "/") break;
    comp = parent_of(comp);
  }
  return file;
}

// Moves fd to a number >= 3 (so dup2 onto 0..2 in the child never is a no-op
// that would keep O_CLOEXEC), keeping O_CLOEXEC.
int lift_fd(int fd) {
  if (fd >= 3) return fd;
  int n = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return n;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Reads what is available from fd into out (capped); returns false on EOF/error.
bool drain(int fd, std::string& out, std::size_t& dropped) {
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      std::size_t room = kScriptOutputCap > out.size() ? kScriptOutputCap - out.size() : 0;
      std::size_t take = std::min<std::size_t>(room, static_cast<std::size_t>(n));
      out.append(buf, take);
      dropped += static_cast<std::size_t>(n) - take;
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    return false;
  }
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

bool try_reap(pid_t pid, int& status) {
  while (true) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {  // ECHILD: cannot be reaped (e.g. SIGCHLD ignored) — treat as gone.
      status = -1;
      return true;
    }
    return false;
  }
}

Expected<ScriptResult> exec_capture(const std::string& path, const std::vector<std::string>& args,
                                    const std::map<std::string, std::string>& env, milliseconds timeout) {
  if (timeout <= milliseconds::zero())
    return Expected<ScriptResult>::Error("timeout for " + path + " must be positive");
  for (const auto& a : args)
    if (a.find('\0') != std::string::npos)
      return Expected<ScriptResult>::Error("argument for " + path + " contains a NUL byte");

  // Everything the child needs is prepared before fork (only async-signal-safe
  // calls are made in the child).
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) {
    if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos)
      return Expected<ScriptResult>::Error("environment variable name '" + k + "' for " + path + " is invalid");
    if (v.find('\0') != std::string::npos)
      return Expected<ScriptResult>::Error("environment variable " + k + " for " + path + " contains a NUL byte");
    if (k == "PATH") continue;  // the fixed PATH below wins
    env_strings.push_back(k + "=" + v);
  }
  env_strings.push_back(std::string("PATH=") + kScriptPath);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string argv0 = path;
  std::vector<std::string> arg_copy = args;
  std::vector<char*> argv;
  argv.push_back(argv0.data());
  for (auto& a : arg_copy) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return Expected<ScriptResult>::Error("pipe for " + path + ": " + errno_text(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return Expected<ScriptResult>::Error("pipe for " + path + ": " + errno_text(e));
  }
  int out_r = lift_fd(out_pipe[0]), out_w = lift_fd(out_pipe[1]);
  int err_r = lift_fd(err_pipe[0]), err_w = lift_fd(err_pipe[1]);
  if (out_r < 0 || out_w < 0 || err_r < 0 || err_w < 0) {
    int e = errno;
    close_fd(out_r), close_fd(out_w), close_fd(err_r), close_fd(err_w);
    return Expected<ScriptResult>::Error("pipe for " + path + ": " + errno_text(e));
  }

  const auto start = Clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    close_fd(out_r), close_fd(out_w), close_fd(err_r), close_fd(err_w);
    return Expected<ScriptResult>::Error("fork for " + path + ": " + errno_text(e));
  }
  if (pid == 0) {
    // Child.
    ::setpgid(0, 0);
    ::umask(022);  // the agent's own is 077 (its state files); scripts get the usual one
    sigset_t empty;
    sigemptyset(&empty);
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out_w, 1) < 0 || ::dup2(out_w, 2) < 0 ||
        ::dup2(err_w, 3) < 0 || ::fcntl(3, F_SETFD, FD_CLOEXEC) < 0) {
      int e = errno;
      (void)!::write(err_w, &e, sizeof e);
      ::_exit(127);
    }
    if (::syscall(SYS_close_range, 4U, ~0U, 0U) != 0) {
      long maxfd = ::sysconf(_SC_OPEN_MAX);
      if (maxfd < 0 || maxfd > 65536) maxfd = 65536;
      for (int fd = 4; fd < maxfd; ++fd) ::close(fd);
    }
    ::execve(argv[0], argv.data(), envp.data());
    int e = errno;
    (void)!::write(3, &e, sizeof e);
    ::_exit(127);
  }

  // Parent.
  ::setpgid(pid, pid);  // also done by the child; whichever runs first wins
  close_fd(out_w);
  close_fd(err_w);
  ::fcntl(out_r, F_SETFL, ::fcntl(out_r, F_GETFL) | O_NONBLOCK);

  ScriptResult result;
  std::size_t dropped = 0;
  int status = 0;
  bool reaped = false;
  int exec_errno = 0;
  std::string exec_err_buf;
  Clock::time_point reaped_at{};
  const auto deadline = start + timeout;

  auto poll_once = [&](milliseconds wait) {
    pollfd fds[2];
    int n = 0;
    if (out_r >= 0) fds[n++] = {out_r, POLLIN, 0};
    if (err_r >= 0) fds[n++] = {err_r, POLLIN, 0};
    if (n == 0) {
      std::this_thread::sleep_for(wait);
      return;
    }
    int rc = ::poll(fds, n, static_cast<int>(std::max<long long>(0, wait.count())));
    if (rc <= 0) return;
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == out_r) {
        if (!drain(out_r, result.output, dropped)) close_fd(out_r);
      } else {
        char b[sizeof(int)];
        ssize_t r = ::read(err_r, b, sizeof b);
        if (r == static_cast<ssize_t>(sizeof(int))) std::memcpy(&exec_errno, b, sizeof(int));
        if (r >= 0 || errno != EINTR) close_fd(err_r);
      }
    }
  };

  while (true) {
    if (!reaped && try_reap(pid, status)) {
      reaped = true;
      reaped_at = Clock::now();
    }
    const auto now = Clock::now();
    if (reaped) {
      if (out_r < 0 || now >= reaped_at + kDrainAfterExit) break;
      poll_once(std::min(milliseconds(10), std::chrono::duration_cast<milliseconds>(reaped_at + kDrainAfterExit - now) +
                                               milliseconds(1)));
      continue;
    }
    if (now >= deadline) {
      result.timed_out = true;
      ::kill(-pid, SIGTERM);
      const auto kill_at = Clock::now() + kKillGrace;
      while (!reaped && Clock::now() < kill_at) {
        poll_once(milliseconds(10));
        if (try_reap(pid, status)) reaped = true;
      }
      ::kill(-pid, SIGKILL);  // stragglers in the group, or the leader itself
      if (!reaped) {
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        reaped = true;
      }
      // Collect whatever is still buffered, briefly.
      const auto drain_until = Clock::now() + milliseconds(50);
      while (out_r >= 0 && Clock::now() < drain_until) poll_once(milliseconds(10));
      break;
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - now) + milliseconds(1);
    poll_once(std::min(milliseconds(10), left));
  }
  if (err_r >= 0) {  // exec error report, if the child wrote one before exiting
    char b[sizeof(int)];
    if (::read(err_r, b, sizeof b) == static_cast<ssize_t>(sizeof(int))) std::memcpy(&exec_errno, b, sizeof(int));
  }
  close_fd(out_r);
  close_fd(err_r);
  result.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - start);

  if (exec_errno != 0) return Expected<ScriptResult>::Error("exec " + path + ": " + errno_text(exec_errno));
  result.exit_code = status == -1 ? -1 : decode_status(status);
  if (dropped > 0)
    result.output += "\n[poolha: output truncated at " + std::to_string(kScriptOutputCap) + " bytes; " +
                     std::to_string(dropped) + " bytes dropped]\n";
  return result;
}

}  // namespace

Status check_script_path(const std::string& script_dir, const std::string& name) {
  return resolve_script(script_dir, name).status();
}

Expected<ScriptResult> run_script(const std::string& script_dir, const std::string& name,
                                  const std::vector<std::string>& args,
                                  const std::map<std::string, std::string>& env, milliseconds timeout) {
  auto resolved = resolve_script(script_dir, name);
  if (!resolved.ok()) return Expected<ScriptResult>::Error("refusing script: " + resolved.error());
  return exec_capture(resolved.value(), args, env, timeout);
}

Expected<ScriptResult> run_program(const std::string& abs_path, const std::vector<std::string>& args,
                                   milliseconds timeout) {
  if (abs_path.empty() || abs_path.front() != '/')
    return Expected<ScriptResult>::Error("program path '" + abs_path + "' is not absolute");
  struct stat st {};
  if (::stat(abs_path.c_str(), &st) != 0)
    return Expected<ScriptResult>::Error("program " + abs_path + ": " + errno_text(errno));
  if (!S_ISREG(st.st_mode) || ::access(abs_path.c_str(), X_OK) != 0)
    return Expected<ScriptResult>::Error("program " + abs_path + " is not an executable regular file");
  return exec_capture(abs_path, args, {}, timeout);
}

}  // namespace poolha::host::linux_checks
