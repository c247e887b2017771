// The agent's configuration file (docs/agent-config.md). Loading is strict: an
// unknown key, a wrong type or an out-of-range value is refused with a message
// that names the file and the field, e.g.
//   "agent.yaml: arp.probes: expected an integer 1..10".
#pragma once

#include <string>
#include <vector>

#include "agent/host.h"
#include "agent/vip_policy.h"
#include "common/path_style.h"
#include "common/status.h"
#include "common/text_encoding.h"
#include "consensus/raft_types.h"
#include "rules/model.h"

namespace poolha::agent {

using consensus::MemberRole;  // one definition of a member's role

struct MemberConfig {
  std::string name;
  std::string address;  // "198.18.0.1:7400"
  MemberRole role = MemberRole::Controller;
};

struct ArpConfig {
  int probes = 2;
  int probe_interval_ms = 50;
  int probe_wait_ms = 100;
  int announce_count = 3;
  int announce_interval_ms = 100;
};

struct TlsConfig {
  std::string ca, cert, key;
};

struct AgentConfig {
  std::string node_id;
  std::string state_dir = "/var/lib/poolha/agent";
  std::string script_dir = "/etc/poolha/scripts";
  TlsConfig tls{"/etc/poolha/ca.crt", "/etc/poolha/agent.crt", "/etc/poolha/agent.key"};
  std::vector<MemberConfig> members;
  int heartbeat_interval_ms = 200;
  int isolation_timeout_ms = 800;
  std::string isolation_address;  // IPv4 literal or empty
  IsolationResponse isolation_response = IsolationResponse::Release;
  ArpConfig arp;
  std::vector<rules::MonitorSpec> monitors;  // node-level: always run
  // Where this host may hold VIPs (vip_subnets, vip_interfaces): agent/vip_policy.h.
  VipPolicy vip_policy;
  // What scripts write (acquire/release/restart/monitor scripts): decoded to UTF-8.
  // Console: UTF-8 on Linux, the OEM code page (GBK on Chinese Windows) on Windows.
  text::Encoding script_output_encoding = text::Encoding::Console;
  // log_pattern monitors read regular files under these only (none: no log_pattern).
  std::vector<std::string> log_dirs;
  // Whether script monitors may take the arguments a monitor spec names.
  bool script_monitor_args = false;

  // What monitors may do on this host, from the keys above.
  CheckPolicy check_policy() const {
    return {script_dir, log_dirs, script_monitor_args, script_output_encoding};
  }
  std::string log_level = "info";  // trace debug info warn error critical off
};

// The defaults of the paths for an agent on `style`: /var/lib/poolha/agent, /etc/poolha/...
// on Linux; C:\ProgramData\poolha\agent, C:\ProgramData\poolha\... on Windows.
AgentConfig default_config(PathStyle style);

// Parses YAML text; `source` (usually the file name) prefixes every error. Paths are
// read in `style` (the agent's own OS unless a test says otherwise).
Expected<AgentConfig> parse_config(const std::string& yaml_text, const std::string& source,
                                   PathStyle style = kNativePathStyle);
// Reads and parses a file (at most 1 MiB).
Expected<AgentConfig> load_config(const std::string& path);

// Checks a monitor spec the way the config loader does (name, kind, timings,
// threshold, restarts, restart_script); kind-specific params are checked by the
// host (HostOps::validate_check). `where` prefixes the error.
Status validate_monitor_shape(const rules::MonitorSpec& m, const std::string& where);

std::string to_string(IsolationResponse r);

}  // namespace poolha::agent
