// The decision engine: apply(event) -> decision (actions, or a rejection), nothing else.
// No sockets, clocks, threads, files or randomness: the same events in the same order
// give the same state and actions, which is what lets the controller replicate it as a
// log and the simulation replay any seed exactly.
#pragma once
#include "rules/actions.h"
#include "rules/events.h"
#include "rules/model.h"
#include "rules/placement.h"

namespace poolha::rules {

// A pool's room for takeovers: free capacity on nodes that are up, healthy and not in
// maintenance, for how many services (a group counts once); ratio = spare / services
// (0 without services). The takeover-ratio alert and the console use this one figure.
struct PoolCapacity {
  int spare = 0;
  size_t services = 0;
  double ratio = 0.0;
};
PoolCapacity pool_capacity(const ClusterState& s, const PoolId& pool);
std::map<PoolId, PoolCapacity> pool_capacities(const ClusterState& s);  // every pool, one pass

class Engine {
 public:
  explicit Engine(ClusterState state = {}) : s_(std::move(state)) {}

  Decision apply(const Event& event);
  const ClusterState& state() const { return s_; }

  // The actions in-flight transitions are waiting on, rebuilt with their original
  // action ids, for a controller that restarted (or took over) to send again; agents
  // treat a repeated action id as already done.
  std::vector<Action> in_flight_actions() const;

 private:
  // One handler per event type.
  void on(const NodeReachable&);
  void on(const NodeUnreachable&);
  void on(const ArbiterView&);
  void on(const MonitorReport&);
  void on(const ActionResult&);
  void on(const Tick&);
  void on(const UpsertPool&);
  void on(const DeletePool&);
  void on(const UpsertNode&);
  void on(const RemoveNode&);
  void on(const SetMaintenance&);
  void on(const UpsertRule&);
  void on(const DeleteRule&);
  void on(const Switchover&);
  void on(const Failback&);
  void on(const Freeze&);
  void on(const Resume&);
  void on(const SetSettings&);
  void on(const SetTerm&);
  void on(const RevokeCertificate&);
  void on(const UpsertTemplate&);
  void on(const DeleteTemplate&);

  struct Start {
    std::vector<RuleId> unit;
    NodeId from;
    TransitionReason reason;
    bool release_from = true;
    bool forced = false;
    NodeId requested_target;
    TimeMs not_before = 0;
    TimeMs now = 0;
  };
  // Starts a transition; false (and nothing changed) when no candidate exists.
  bool start_transition(const Start&);
  bool choose_target(Transition& t, const Occupancy& occ);
  void issue_next(Transition& t, TimeMs now);
  void finish(Transition& t, TimeMs now);
  void fail_unit_without_target(Transition& t, const std::string& why);
  Action step_action(const Transition& t, const Step& step, uint64_t action_id) const;
  Transition* transition_of_rule(const RuleId& rule);

  // Who owns each VIP and which rules each node is primary of, built once per pass.
  struct AddressIndex {
    std::map<std::string, RuleId> owner;
    std::map<NodeId, std::vector<RuleId>> primary_of;
  };
  AddressIndex index_addresses() const;
  // REQUIRES: idx is current for this pass (transitions started inside keep it valid:
  // they only clear primaries it lists, which the loop re-checks).
  void reconcile_addresses(NodeState& n, TimeMs now, const AddressIndex& idx);
  // Acquires a unit on `node` with no release anywhere (joining a running group,
  // restoring addresses a primary lost).
  void acquire_in_place(const std::vector<RuleId>& unit, const NodeId& node, TransitionReason reason, TimeMs now);
  bool held_by_some_node(const std::vector<RuleId>& unit) const;
  bool unit_switching(const std::vector<RuleId>& unit);  // a member has a transition in flight
  void forget_addresses(const NodeId& node, const std::vector<VipSpec>& vips);
  void node_failed(NodeState& n, TimeMs deadline, bool arbiter_down, TimeMs now);
  // Asks the arbiter about `n` and stamps the consult (the recheck timer counts from it).
  void consult_arbiter(NodeState& n, TimeMs now);
  // A unit unfrozen while its primary is failed (the arbiter is asked again) or
  // unhealthy gets the takeover its freeze held back.
  void recover_unfrozen(const RuleId& leader);
  void move_units_off(const NodeId& node, TransitionReason reason, TimeMs now);
  void place_unplaced(const PoolId& pool, TimeMs now);
  void reassign_standbys(const PoolId& pool);
  void check_takeover_ratio(const PoolId& pool);
  void auto_failback(TimeMs now, int minute_of_day);
  bool automatic_allowed(const RuleState& r) const;
  std::vector<RuleId> units_on(const NodeId& node) const;  // leaders of units whose primary is node

  void alert(Severity sev, std::string code, const RuleId& rule, const NodeId& node, std::string message);
  void reject(std::string why) { out_.rejected = std::move(why); }
  void emit(Action a) { out_.actions.push_back(std::move(a)); }

  ClusterState s_;
  Decision out_;
};

}  // namespace poolha::rules
