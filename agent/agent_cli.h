// What both agents' command lines share (poolha-agent on Linux: agent/main.cc; on
// Windows: agent/windows/main_win.cc): the arguments, the checks before a start,
// `check-config`, `enrol`, and the daemon's start with its state file. Each OS's
// main adds how it runs (a detached keeper and signals on Linux; services on Windows).
#pragma once

#include <string>

#include "agent/command_ledger.h"
#include "agent/config.h"
#include "agent/host.h"
#include "common/status.h"

namespace poolha::agent {

struct AgentArgs {
  std::string command, config, controller, token;
};

// COMMAND [--config FILE] [--controller ADDR:PORT] [--token TOKEN]; --config required.
Expected<AgentArgs> parse_agent_args(int argc, char** argv);

// node_id must be the CN of our certificate (the controller checks it too).
Status check_certificate(const AgentConfig& cfg);
// Every node-level monitor is valid on this host.
Status check_monitors(const AgentConfig& cfg, HostOps& host);

// `check-config`: prints "ok" or the error; the exit code.
int cmd_check_config(const AgentArgs& a, HostOps& host);
// `enrol`: obtains this node's certificate with a one-time token; the exit code.
int cmd_enrol(const AgentArgs& a);

// The command ledger from state_dir/agent-state.json (empty if there is none).
Expected<CommandLedger> load_ledger(const AgentConfig& cfg);

}  // namespace poolha::agent
