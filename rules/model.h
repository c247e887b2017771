// The cluster as the decision engine sees it: what operators configured (specs) and
// what the engine has decided so far (runtime state). Plain values, no I/O; the whole
// ClusterState is what the controller persists and, later, replicates.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace poolha::rules {

using NodeId = std::string;
using RuleId = std::string;
using PoolId = std::string;
using TimeMs = int64_t;  // controller's monotonic clock, supplied by the caller

// Timings that together meet design §4 (host crash outage <= 2 s); see docs/controller-config.md "settings".
struct Settings {
  TimeMs heartbeat_interval_ms = 200;
  TimeMs suspect_after_ms = 600;       // no heartbeat this long -> ask the arbiter
  TimeMs isolation_timeout_ms = 800;   // agent releases its VIPs after this long alone
  TimeMs drift_margin_ms = 150;        // added to the isolation deadline
  TimeMs conflict_retry_ms = 2000;     // re-probe a VIP answered by a foreign host
  TimeMs arbiter_recheck_ms = 1000;    // re-ask the arbiter while it still sees a node
  bool operator==(const Settings&) const = default;
};

struct PoolSpec {
  PoolId id;
  double min_takeover_ratio = 0.1;  // spare capacity / protected rules; below -> alert
  bool frozen = false;
  bool operator==(const PoolSpec&) const = default;
};

struct NodeSpec {
  NodeId id;
  PoolId pool;
  std::string os = "linux";
  std::map<std::string, std::string> labels;
  int priority = 100;  // higher wins elections; failback never goes to a lower one
  int capacity = 1;    // rules it may host as primary at once
  bool operator==(const NodeSpec&) const = default;
};

struct VipSpec {
  std::string cidr;       // "198.18.1.10/24"
  std::string interface;  // interface name, or empty: the one in the VIP's subnet
  bool operator==(const VipSpec&) const = default;
};

// A health check the agent runs for a rule on the node that is its primary (design §3.1).
// The engine only stores it; the agent interprets kind/params (see docs/rules.md "Monitor" and host/linux/checks.h).
struct MonitorSpec {
  std::string name;
  std::string kind;  // process, service, tcp_port, http, cpu, memory, disk, nic_link, gateway, log_pattern, script
  std::map<std::string, std::string> params;
  TimeMs interval_ms = 1000;
  TimeMs timeout_ms = 1000;
  int threshold = 3;           // consecutive failures before it counts
  int restarts = 0;            // local restart attempts before it is reported
  std::string restart_script;  // in the agent's script directory
  bool operator==(const MonitorSpec&) const = default;
};

enum class FailbackPolicy { Manual, Automatic, Never };
enum class ArbiterDownPolicy { Switch, Hold };

struct RuleSpec {
  RuleId id;
  PoolId pool;
  std::string os = "linux";
  std::map<std::string, std::string> labels;  // required on any node that hosts it
  std::vector<VipSpec> vips;
  std::string acquire_script;
  std::string release_script;
  TimeMs script_timeout_ms = 5000;
  NodeId home;           // preferred primary; where it starts and fails back to
  NodeId fixed_target;   // if set, the only takeover target
  bool local_takeover = true;  // designated standby takes over first
  FailbackPolicy failback = FailbackPolicy::Manual;
  TimeMs failback_delay_ms = 60000;
  int failback_window_start_min = 0;  // minutes of the day, [start, end)
  int failback_window_end_min = 1440;
  ArbiterDownPolicy on_arbiter_down = ArbiterDownPolicy::Hold;
  std::string group;  // rules of one group live on one node and switch together
  int group_order = 0;
  int priority = 0;   // higher is placed first when spares are short
  std::vector<RuleId> anti_affinity;
  std::vector<MonitorSpec> monitors;
  // The template the rule was made from (apply's `template: NAME`), kept so the console
  // can show which rules a template shaped and refuse to delete one still in use. The
  // rule's fields are complete without it: changing a template changes no rule.
  std::string from_template;
  bool operator==(const RuleSpec&) const = default;
};

// A rule template (高可用模板, design §2): a name and the fields rules made from it
// start from. A template is partial by nature (any of RuleSpec's fields but id), so
// its fields are kept as the text of a JSON object, exactly as written; the JSON form
// is flat, {"id", "description", ...fields}, the same in a file, the API and the state.
struct RuleTemplate {
  std::string id;
  std::string description;
  std::string fields = "{}";
  bool operator==(const RuleTemplate&) const = default;
};

// What we believe about reachability of a node.
enum class Liveness {
  Up,           // heartbeats arriving
  Suspect,      // controller lost it; arbiter being consulted
  Partitioned,  // controller lost it, arbiter still sees it: no takeover (design §3.1)
  Failed,       // neither sees it
};

struct NodeState {
  NodeSpec spec;
  Liveness liveness = Liveness::Failed;  // until the first heartbeat
  TimeMs last_heard_ms = 0;
  TimeMs up_since_ms = 0;
  TimeMs last_consult_ms = 0;
  bool maintenance = false;
  bool healthy = true;                 // node-level monitors
  std::set<RuleId> failing_rules;      // rule monitors failing on this node
  std::vector<std::string> subnets;    // reported by the agent: "198.18.1.0/24"
  std::set<std::string> held_vips;     // reported by the agent
  uint64_t last_result_action = 0;     // newest action id this node answered
  bool operator==(const NodeState&) const = default;
};

enum class RulePhase {
  Unplaced,   // no primary: nothing eligible (unprotected), or not started yet
  Running,    // primary holds it
  Switching,  // a transition is in progress
  Blocked,    // a VIP is answered by a foreign host; re-probed periodically
  AdminWait,  // release and acquire both failed: waits for an operator
};

struct RuleState {
  RuleSpec spec;
  NodeId primary;
  NodeId standby;
  uint64_t epoch = 0;
  RulePhase phase = RulePhase::Unplaced;
  bool frozen = false;
  TimeMs blocked_since_ms = 0;
  // Its last primary was lost: no node may add its addresses before this moment (that
  // primary's isolation deadline), whatever path the next placement takes.
  TimeMs hold_off_until_ms = 0;
  std::string last_error;
  bool operator==(const RuleState&) const = default;
};

enum class TransitionReason { Place, NodeFailed, MonitorFailed, Operator, Forced, Failback, Drain, Reconfigure, Retry };

enum class StepKind { Release, Acquire };
struct Step {
  StepKind kind;
  RuleId rule;
  NodeId node;
  std::vector<VipSpec> vips;  // explicit: a reconfigure releases the old list
  bool run_script = true;     // a forced switch skips the release script
  bool operator==(const Step&) const = default;
};

// One switch of a placement unit (a rule, or a group of rules) from one node to
// another, executed step by step: release on the old node in reverse order, then
// acquire on the target in order. Each step is one action awaiting its result.
struct Transition {
  uint64_t id = 0;
  std::vector<RuleId> rules;  // start order
  NodeId from;                // may be empty (first placement) or unreachable
  NodeId target;              // current candidate
  TransitionReason reason = TransitionReason::Operator;
  bool release_from = true;   // from is reachable: release there first
  bool forced = false;
  NodeId requested_target;    // operator's explicit target, if any
  std::vector<NodeId> tried;  // candidates that failed
  std::vector<Step> steps;
  size_t next = 0;
  uint64_t waiting_action = 0;  // 0: next step not yet issued
  TimeMs not_before_ms = 0;     // isolation deadline of `from`
  bool release_failed = false;
  std::vector<RuleId> acquired;  // rules already acquired on target
  bool operator==(const Transition&) const = default;
};

struct PoolState {
  PoolSpec spec;
  bool ratio_alert = false;
  bool operator==(const PoolState&) const = default;
};

struct ClusterState {
  Settings settings;
  uint64_t term = 1;  // the acting controller's term; the consensus layer sets it
  uint64_t next_action_id = 1;
  uint64_t next_transition_id = 1;
  std::map<PoolId, PoolState> pools;
  std::map<NodeId, NodeState> nodes;
  std::map<RuleId, RuleState> rules;
  std::map<uint64_t, Transition> transitions;
  bool arbiter_reachable = true;
  TimeMs last_placement_retry_ms = 0;
  // The newest event time applied: where the cluster clock stands in this state. A
  // member restored from a snapshot resumes its clock from here, never before it.
  TimeMs clock_ms = 0;
  // Certificates withdrawn by an operator (poolhactl cert revoke): serial (lowercase
  // hex) -> the operator's note. Every member refuses them on every port.
  std::map<std::string, std::string> revoked;
  std::map<std::string, RuleTemplate> templates;
};

const char* to_string(Liveness);
const char* to_string(RulePhase);
const char* to_string(TransitionReason);
const char* to_string(FailbackPolicy);
const char* to_string(ArbiterDownPolicy);

}  // namespace poolha::rules
