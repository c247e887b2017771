// Inputs of the decision engine. Each one is a command in the controller's log:
// applied in order, the same sequence always yields the same state and actions.
// Time is an input (`now`), never read.
#pragma once
#include <variant>

#include "rules/model.h"

namespace poolha::rules {

// The controller started hearing a node (first heartbeat, or back after a loss).
struct NodeReachable {
  NodeId node;
  TimeMs now = 0;
  std::vector<std::string> subnets;
  std::vector<std::string> held_vips;
  // The newest action id the agent had completed when it sent this report: a report
  // older than a result we already have says nothing about the addresses now.
  uint64_t actions_done = 0;
};
// The controller stopped hearing a node for settings.suspect_after_ms.
struct NodeUnreachable {
  NodeId node;
  TimeMs now = 0;
  TimeMs last_heard_ms = 0;
};
// The arbiter's answer to ConsultArbiter, in the controller's clock.
struct ArbiterView {
  NodeId node;
  TimeMs now = 0;
  bool arbiter_reachable = true;
  bool sees_node = false;
  TimeMs last_heard_ms = 0;  // when the arbiter last heard the node
};
// A confirmed monitor result (the agent applied threshold and local restarts).
struct MonitorReport {
  NodeId node;
  RuleId rule;  // empty: a node-level monitor
  bool healthy = true;
  std::string detail;
  TimeMs now = 0;
};
enum class ActionOutcome { Ok, Failed, TimedOut, Conflict, Unreachable };
struct ActionResult {
  uint64_t action_id = 0;
  NodeId node;  // who answered (empty: the controller timed the action out)
  ActionOutcome outcome = ActionOutcome::Ok;
  bool vips_removed = true;  // release: addresses gone even if the script failed
  std::string detail;
  TimeMs now = 0;
};
struct Tick {
  TimeMs now = 0;
  int minute_of_day = 0;  // wall clock, for failback windows
};

// Operator commands. A rejected command changes nothing.
struct UpsertPool { PoolSpec spec; };
struct DeletePool { PoolId pool; };
struct UpsertNode { NodeSpec spec; };
struct RemoveNode { NodeId node; };
struct SetMaintenance { NodeId node; bool on = true; TimeMs now = 0; };
struct UpsertRule { RuleSpec spec; TimeMs now = 0; };
struct DeleteRule { RuleId rule; TimeMs now = 0; };
struct Switchover { RuleId rule; NodeId target; bool forced = false; TimeMs now = 0; };
struct Failback { RuleId rule; TimeMs now = 0; };
struct Freeze { RuleId rule; PoolId pool; bool on = true; };  // one of rule/pool
struct Resume { RuleId rule; TimeMs now = 0; };  // leave admin-wait / blocked
struct SetSettings { Settings settings; };
struct SetTerm { uint64_t term = 1; };
// Withdraws a certificate of the cluster CA (a lost operator laptop, a retired member).
struct RevokeCertificate { std::string serial; std::string note; };
struct UpsertTemplate { RuleTemplate spec; };
struct DeleteTemplate { std::string template_id; };

using Event = std::variant<NodeReachable, NodeUnreachable, ArbiterView, MonitorReport, ActionResult, Tick,
                           UpsertPool, DeletePool, UpsertNode, RemoveNode, SetMaintenance, UpsertRule, DeleteRule,
                           Switchover, Failback, Freeze, Resume, SetSettings, SetTerm, RevokeCertificate,
                           UpsertTemplate, DeleteTemplate>;

const char* event_name(const Event&);

}  // namespace poolha::rules
