// Script runner for the Windows agent (issue 12 §1 "Scripts"): .bat, .cmd, .ps1 and
// .exe from the script directory, never through a shell of the caller's choosing.
//
// The process starts suspended inside a job object, so a timeout kills the whole
// tree (TerminateJobObject: Windows has no SIGTERM; a timed-out script reports
// timed_out with exit_code -1). Only its output pipe and NUL as stdin are inherited
// (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), the environment is script_command.h's, output
// (stdout and stderr merged) is read through an overlapped named pipe and capped at
// 64 KiB. After the script exits its output is read for at most 200 ms more; what it
// started (a service, a background process) is left running, as on Linux.
//
// A script is refused unless script_dir\name is a regular file (no link or junction
// on the way below script_dir) and every component of its path may be changed only
// by SYSTEM, Administrators or TrustedInstaller (common/windows/acl_rules.h).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "host/host_ops.h"

namespace poolha::host::windows {

inline constexpr std::size_t kScriptOutputCap = 64 * 1024;

// The full path of an accepted script, or why it is refused.
Expected<std::string> resolve_script(const std::string& script_dir, const std::string& name);

// Runs an accepted script with `args` and the caller's `env` (plus the system's).
// Error: not run at all; a script that ran and failed or timed out is a ScriptRun.
Expected<ScriptRun> run_script(const std::string& script_dir, const std::string& name,
                               const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                               std::chrono::milliseconds timeout);

// %SystemRoot% (GetSystemWindowsDirectoryW), in UTF-8.
std::string system_root();

}  // namespace poolha::host::windows
