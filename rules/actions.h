// Outputs of the decision engine: what the controller must do. The engine never
// executes anything; the controller sends these and feeds results back as events.
#pragma once
#include <optional>
#include <variant>

#include "rules/model.h"

namespace poolha::rules {

// Both carry (term, epoch, action_id): agents drop anything older than they have seen.
struct Acquire {
  uint64_t action_id = 0;
  uint64_t term = 0;
  uint64_t epoch = 0;
  RuleId rule;
  NodeId node;
  NodeId old_node;
  std::vector<VipSpec> vips;
  std::string script;
  TimeMs script_timeout_ms = 0;
};
struct Release {
  uint64_t action_id = 0;
  uint64_t term = 0;
  uint64_t epoch = 0;
  RuleId rule;
  NodeId node;
  NodeId new_node;
  std::vector<VipSpec> vips;
  std::string script;  // empty: remove addresses only
  TimeMs script_timeout_ms = 0;
};
// Tells a node its role for a rule (informational for the agent; drives data sync).
struct AssignRole {
  NodeId node;
  RuleId rule;
  std::string role;  // "primary", "standby", "idle"
  uint64_t epoch = 0;
};
struct ConsultArbiter { NodeId node; };
enum class Severity { Info, Warning, Critical };
struct Alert {
  Severity severity = Severity::Warning;
  std::string code;  // stable identifier, e.g. "arbiter_sees_node"
  RuleId rule;
  NodeId node;
  std::string message;  // what happened and what to do next
};

using Action = std::variant<Acquire, Release, AssignRole, ConsultArbiter, Alert>;

struct Decision {
  std::vector<Action> actions;
  std::string rejected;  // non-empty: the command was refused, state unchanged
  bool ok() const { return rejected.empty(); }
};

// What Acquire and Release have in common: the command an agent must carry out.
struct AgentCommand {
  bool acquire = false;
  uint64_t action_id = 0;
  uint64_t epoch = 0;
  RuleId rule;
  NodeId node;
  std::vector<VipSpec> vips;
};
// Empty for actions that are not agent commands.
std::optional<AgentCommand> agent_command(const Action&);

const char* to_string(Severity);

}  // namespace poolha::rules
