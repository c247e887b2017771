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

// Stops a keeper for state_dir that does not run `keeper_binary` as it is on disk now
// (an upgrade replaced the file: /proc/PID/exe is then another inode, or a deleted
// one): an older keeper may read the lease in an older layout. SIGTERM, then SIGKILL
// after 1 s; returns once it has exited (reaped or not). Call before the agent opens
// (and perhaps re-makes) the lease.
void stop_stale_keeper(const std::string& keeper_binary, const std::string& state_dir);

// The keeper binary beside the running executable (/proc/self/exe's directory).
std::string keeper_beside_self();

// Writes our pid to state_dir/lease-keeper.pid (the keeper calls this).
Status write_pid_file(const std::string& state_dir);

}  // namespace poolha::host::linux_keeper
