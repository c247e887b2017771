// Stable names of enum values: used in logs, JSON, the CLI and the docs alike.
#include "rules/actions.h"
#include "rules/events.h"

namespace poolha::rules {

const char* to_string(Liveness v) {
  switch (v) {
    case Liveness::Up: return "up";
    case Liveness::Suspect: return "suspect";
    case Liveness::Partitioned: return "partitioned";
    case Liveness::Failed: return "failed";
  }
  return "?";
}
const char* to_string(RulePhase v) {
  switch (v) {
    case RulePhase::Unplaced: return "unplaced";
    case RulePhase::Running: return "running";
    case RulePhase::Switching: return "switching";
    case RulePhase::Blocked: return "blocked";
    case RulePhase::AdminWait: return "admin-wait";
  }
  return "?";
}
const char* to_string(TransitionReason v) {
  switch (v) {
    case TransitionReason::Place: return "place";
    case TransitionReason::NodeFailed: return "node-failed";
    case TransitionReason::MonitorFailed: return "monitor-failed";
    case TransitionReason::Operator: return "switchover";
    case TransitionReason::Forced: return "forced";
    case TransitionReason::Failback: return "failback";
    case TransitionReason::Drain: return "drain";
    case TransitionReason::Reconfigure: return "reconfigure";
    case TransitionReason::Retry: return "retry";
  }
  return "?";
}
const char* to_string(FailbackPolicy v) {
  switch (v) {
    case FailbackPolicy::Manual: return "manual";
    case FailbackPolicy::Automatic: return "automatic";
    case FailbackPolicy::Never: return "never";
  }
  return "?";
}
const char* to_string(ArbiterDownPolicy v) { return v == ArbiterDownPolicy::Switch ? "switch" : "hold"; }
const char* to_string(Severity v) {
  switch (v) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Critical: return "critical";
  }
  return "?";
}

std::optional<AgentCommand> agent_command(const Action& a) {
  if (const auto* acq = std::get_if<Acquire>(&a))
    return AgentCommand{true, acq->action_id, acq->epoch, acq->rule, acq->node, acq->vips};
  if (const auto* rel = std::get_if<Release>(&a))
    return AgentCommand{false, rel->action_id, rel->epoch, rel->rule, rel->node, rel->vips};
  return std::nullopt;
}

const char* event_name(const Event& e) {
  static const char* names[] = {"node_reachable", "node_unreachable", "arbiter_view", "monitor_report",
                                "action_result",  "tick",             "upsert_pool",  "delete_pool",
                                "upsert_node",    "remove_node",      "set_maintenance", "upsert_rule",
                                "delete_rule",    "switchover",       "failback",     "freeze",
                                "resume",         "set_settings",     "set_term",     "revoke_certificate",
                                "upsert_template", "delete_template"};
  return names[e.index()];
}

}  // namespace poolha::rules
