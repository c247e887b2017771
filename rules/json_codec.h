// JSON forms of the engine's values: the controller's log and snapshots, the scenario
// corpus under tests/scenarios, and the CLI/API bodies all use these, so one concept
// has one spelling everywhere. Decoding is strict: an unknown field or a wrong type is
// an error naming the field.
#pragma once
#include <nlohmann/json.hpp>

#include "common/status.h"
#include "rules/actions.h"
#include "rules/events.h"
#include "rules/model.h"

namespace poolha::rules {

using Json = nlohmann::json;

// Enum spellings, shared by every user of the JSON forms.
NLOHMANN_JSON_SERIALIZE_ENUM(FailbackPolicy, {{FailbackPolicy::Manual, "manual"},
                                              {FailbackPolicy::Automatic, "automatic"},
                                              {FailbackPolicy::Never, "never"}})
NLOHMANN_JSON_SERIALIZE_ENUM(ArbiterDownPolicy, {{ArbiterDownPolicy::Hold, "hold"}, {ArbiterDownPolicy::Switch, "switch"}})
NLOHMANN_JSON_SERIALIZE_ENUM(Liveness, {{Liveness::Up, "up"},
                                        {Liveness::Suspect, "suspect"},
                                        {Liveness::Partitioned, "partitioned"},
                                        {Liveness::Failed, "failed"}})
NLOHMANN_JSON_SERIALIZE_ENUM(RulePhase, {{RulePhase::Unplaced, "unplaced"},
                                         {RulePhase::Running, "running"},
                                         {RulePhase::Switching, "switching"},
                                         {RulePhase::Blocked, "blocked"},
                                         {RulePhase::AdminWait, "admin-wait"}})
NLOHMANN_JSON_SERIALIZE_ENUM(TransitionReason, {{TransitionReason::Place, "place"},
                                                {TransitionReason::NodeFailed, "node-failed"},
                                                {TransitionReason::MonitorFailed, "monitor-failed"},
                                                {TransitionReason::Operator, "switchover"},
                                                {TransitionReason::Forced, "forced"},
                                                {TransitionReason::Failback, "failback"},
                                                {TransitionReason::Drain, "drain"},
                                                {TransitionReason::Reconfigure, "reconfigure"},
                                                {TransitionReason::Retry, "retry"}})
NLOHMANN_JSON_SERIALIZE_ENUM(StepKind, {{StepKind::Release, "release"}, {StepKind::Acquire, "acquire"}})
NLOHMANN_JSON_SERIALIZE_ENUM(ActionOutcome, {{ActionOutcome::Ok, "ok"},
                                             {ActionOutcome::Failed, "failed"},
                                             {ActionOutcome::TimedOut, "timed-out"},
                                             {ActionOutcome::Conflict, "conflict"},
                                             {ActionOutcome::Unreachable, "unreachable"}})
NLOHMANN_JSON_SERIALIZE_ENUM(Severity, {{Severity::Info, "info"}, {Severity::Warning, "warning"}, {Severity::Critical, "critical"}})


void to_json(Json&, const RuleTemplate&);
void from_json(const Json&, RuleTemplate&);

Json to_json(const Event&);
Expected<Event> event_from_json(const Json&);
Json to_json(const Action&);
Json to_json(const ClusterState&);
// One object of the state each (the console's live deltas).
Json to_json(const NodeState&);
Json to_json(const RuleState&);
Json to_json(const PoolState&);
Json to_json(const Transition&);
Json to_json(const RuleTemplate&);
Expected<ClusterState> state_from_json(const Json&);

Expected<RuleSpec> rule_from_json(const Json&);
Expected<NodeSpec> node_from_json(const Json&);
Expected<PoolSpec> pool_from_json(const Json&);
Expected<Settings> settings_from_json(const Json&);
Json to_json(const RuleSpec&);
Json to_json(const NodeSpec&);
Json to_json(const PoolSpec&);
Json to_json(const Settings&);

}  // namespace poolha::rules
