// Starting poolha-lease-keeper (Linux): one keeper per state directory, detached
// (own session) so that it outlives the agent — it must act while the agent is
// stopped, hung, crashed or restarting.
#pragma once

#include <string>

#include "common/status.h"

namespace poolha::host::linux_keeper {

// The pid in state_dir/lease-keeper.pid if that process is alive and its
// /proc/PID/cmdline is a poolha-lease-keeper for this state_dir; else 0.
int running_keeper(const std::string& state_dir);

// Starts `keeper_binary --state-dir state_dir` detached (fork, setsid, fork,
// stdin /dev/null, stdout/stderr appended to state_dir/lease-keeper.log) unless
// one is running. Returns its pid. The keeper writes its own pid file.
Expected<int> ensure_keeper(const std::string& keeper_binary, const std::string& state_dir);

// The keeper binary beside the running executable (/proc/self/exe's directory).
std::string keeper_beside_self();

// Writes our pid to state_dir/lease-keeper.pid (the keeper calls this).
Status write_pid_file(const std::string& state_dir);

}  // namespace poolha::host::linux_keeper
