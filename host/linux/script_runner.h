// Script runner for the Linux agent (design §3.2 scripts, §7 security).
//
// Scripts are executed directly with fork/execve — never through a shell — in
// their own process group, with stdin on /dev/null, stdout and stderr merged
// into one captured buffer, and an environment made only of what the caller
// passes plus a fixed PATH. A timeout sends SIGTERM to the whole group, then
// SIGKILL 500 ms later.
//
// Conventions:
//  * exit_code is the process's exit status, or 128+signal if it was killed by
//    a signal (as a shell would report it), or -1 if it could not be reaped.
//  * The caller's process must not ignore SIGCHLD (waitpid needs the child).
//  * After the main process exits, output is read until the pipe closes or for
//    at most 200 ms more (a daemon started by the script may keep the pipe
//    open; it is left running and output it writes later is not captured).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace poolha::host::linux_checks {

inline constexpr std::size_t kScriptOutputCap = 64 * 1024;
inline constexpr char kScriptPath[] = "/usr/sbin:/usr/bin:/sbin:/bin";

struct ScriptResult {
  int exit_code = -1;
  bool timed_out = false;
  // stdout+stderr merged, capped at 64 KiB; a note is appended if truncated.
  std::string output;
  std::chrono::milliseconds duration{0};
};

// design §7: refuses a script unless it resolves (realpath) inside script_dir,
// is a regular executable file, and no component of its path (the file and
// every parent directory up to /) is writable by group/others or owned by a
// user other than root (when running as root; otherwise root or our own euid
// are accepted). The check is strict: a sticky world-writable directory such
// as /tmp is refused too. `name` may contain subdirectories but must be
// relative and must not contain "." or ".." components. The error names the
// offending path component.
Status check_script_path(const std::string& script_dir, const std::string& name);

// Runs script_dir/name (after check_script_path) with `args` and ONLY `env`
// (plus PATH=/usr/sbin:/usr/bin:/sbin:/bin, which overrides any PATH in env).
// An error means it could not be run at all (refused path, bad env, fork or
// exec failure); a script that ran and failed or timed out is a ScriptResult.
Expected<ScriptResult> run_script(const std::string& script_dir, const std::string& name,
                                  const std::vector<std::string>& args,
                                  const std::map<std::string, std::string>& env,
                                  std::chrono::milliseconds timeout);

// Same exec machinery for a trusted absolute binary (e.g. systemctl): no path
// ownership check. The environment is only PATH.
Expected<ScriptResult> run_program(const std::string& abs_path, const std::vector<std::string>& args,
                                   std::chrono::milliseconds timeout);

}  // namespace poolha::host::linux_checks
