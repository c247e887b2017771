// Executes ACQUIRE and RELEASE commands (design §3.2) on a worker thread: blocking,
// through HostOps only. The caller (the daemon) has already admitted the command
// (CommandLedger) and runs the commands of one rule one at a time, in order.
//
// ACQUIRE: for each VIP choose the interface, check it against this host's VIP policy
// (agent/vip_policy.h; refused: undo this command's VIPs, REFUSED), list it in the
// lease, ARP-probe it unless already ours (conflict: undo, CONFLICT), add it, send
// the first announcement; then the acquire script. Script failure: remove this
// command's VIPs, FAILED / TIMED_OUT. The remaining announcements go to `background`
// so the script is not delayed; each first checks the hold.
// RELEASE: the release script, then remove the VIPs the lease lists whatever the
// script did; an address poolha did not add is left in place and reported.
// Isolation: release every held VIP (the optional `isolation-release` script per
// rule, then removal).
#pragma once
#include <map>

#include <functional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/host.h"
#include "agent/isolation_lease.h"
#include "wire/poolha.pb.h"

namespace poolha::agent {

// A result's script output on the wire (UTF-8, cut on a character boundary).
inline constexpr size_t kMaxScriptOutputBytes = 64 * 1024;
inline constexpr size_t kMaxResultDetailBytes = 1024;

// The script run on isolation for each held rule, when present in script_dir.
inline constexpr char kIsolationReleaseScript[] = "isolation-release";

class ActionRunner {
 public:
  using Background = std::function<void(std::function<void()>)>;
  ActionRunner(const AgentConfig& cfg, HostOps& host, IsolationLease& lease, Background background);

  wire::CommandResult acquire(const wire::Command& cmd);
  wire::CommandResult release(const wire::Command& cmd);
  // Releases everything listed in the lease (isolation with response=release, or a
  // lapsed hold). Returns a line per VIP for the log.
  // Per rule: its release script and timeout, as the controller last said (RoleAssignment).
  using ReleaseScripts = std::map<std::string, std::pair<std::string, int64_t>>;
  struct Removal {
    std::vector<std::string> lines;  // one per VIP, for the log
    bool all_removed = true;
  };
  // Removes every listed VIP now, unlisting each only once it is gone (so the keeper
  // still covers any that could not be removed). Blocking but short (netlink).
  Removal remove_all(const std::vector<HeldVip>& vips, const std::string& why);
  // After an isolation release: each rule's release script (or, for a rule the
  // controller never described, the optional `isolation-release`).
  std::vector<std::string> run_isolation_scripts(const std::vector<HeldVip>& vips, const ReleaseScripts& scripts);

  // The script environment (docs/agent-config.md).
  std::map<std::string, std::string> script_env(const wire::Command& cmd, const std::string& role,
                                                const std::string& action) const;

 private:
  void undo(const std::vector<HeldVip>& added);
  void announce_rest(const std::string& ifname, const std::string& cidr);

  const AgentConfig& cfg_;
  HostOps& host_;
  IsolationLease& lease_;
  Background background_;
};

}  // namespace poolha::agent
