#include "rules/engine.h"

#include <algorithm>

namespace poolha::rules {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

bool is_operator_command(const Event& e) {
  return !(std::holds_alternative<NodeReachable>(e) || std::holds_alternative<NodeUnreachable>(e) ||
           std::holds_alternative<ArbiterView>(e) || std::holds_alternative<MonitorReport>(e) ||
           std::holds_alternative<ActionResult>(e) || std::holds_alternative<Tick>(e));
}

}  // namespace

Decision Engine::apply(const Event& event) {
  out_ = Decision{};
  // Operator commands are validated as they go; a rejection must leave no trace, so
  // keep the state to restore. Runtime events are never rejected.
  std::optional<ClusterState> before;
  if (is_operator_command(event)) before = s_;
  std::visit([this](const auto& e) { on(e); }, event);
  if (!out_.ok()) {
    s_ = std::move(*before);
    out_.actions.clear();
  }
  // A refused command changes nothing, not even the clock.
  if (out_.ok())
    std::visit(
        [this](const auto& e) {
          if constexpr (requires { e.now; }) s_.clock_ms = std::max(s_.clock_ms, e.now);
        },
        event);
  return std::move(out_);
}

void Engine::alert(Severity sev, std::string code, const RuleId& rule, const NodeId& node, std::string message) {
  emit(Alert{sev, std::move(code), rule, node, std::move(message)});
}

// Higher rule priority first: when spares are short, the important services win.
std::vector<RuleId> Engine::units_on(const NodeId& node) const {
  std::vector<std::pair<int, RuleId>> leaders;
  std::set<std::string> seen;
  for (const auto& [id, r] : s_.rules) {
    if (r.primary != node) continue;
    if (seen.insert(unit_key(r.spec)).second) leaders.emplace_back(-r.spec.priority, unit_of(s_, id).front());
  }
  std::sort(leaders.begin(), leaders.end());
  std::vector<RuleId> out;
  for (auto& l : leaders) out.push_back(l.second);
  return out;
}

bool Engine::automatic_allowed(const RuleState& r) const {
  if (r.frozen) return false;
  auto p = s_.pools.find(r.spec.pool);
  return p == s_.pools.end() || !p->second.spec.frozen;
}

Transition* Engine::transition_of_rule(const RuleId& rule) {
  for (auto& [id, t] : s_.transitions)
    if (std::find(t.rules.begin(), t.rules.end(), rule) != t.rules.end()) return &t;
  return nullptr;
}

// ---------------------------------------------------------------- liveness

void Engine::on(const NodeReachable& e) {
  auto it = s_.nodes.find(e.node);
  if (it == s_.nodes.end()) return;  // unregistered agent: the controller reports it
  NodeState& n = it->second;
  const Liveness was = n.liveness;
  n.subnets = e.subnets;
  // A report sent after a reconnection is newer than anything we heard before it; a
  // report from a node that stayed up may predate an action result we already have.
  const bool fresh = was != Liveness::Up || e.actions_done >= n.last_result_action;
  if (fresh) n.held_vips = std::set<std::string>(e.held_vips.begin(), e.held_vips.end());
  n.last_heard_ms = e.now;
  if (was != Liveness::Up) n.up_since_ms = e.now;
  n.liveness = Liveness::Up;

  // A node back before its isolation deadline: failovers that have not begun yet
  // are cancelled if it still holds the unit, or may proceed at once if it let go.
  for (auto it2 = s_.transitions.begin(); it2 != s_.transitions.end();) {
    Transition& t = it2->second;
    if (t.from == e.node && t.reason == TransitionReason::NodeFailed && t.next == 0 && t.waiting_action == 0) {
      bool holds = false;
      for (const auto& rid : t.rules)
        for (const auto& vip : s_.rules.at(rid).spec.vips) holds |= n.held_vips.count(vip.cidr) > 0;
      if (holds) {
        for (const auto& rid : t.rules) {
          s_.rules.at(rid).phase = RulePhase::Running;
          s_.rules.at(rid).primary = t.from;
        }
        emit(Alert{Severity::Info, "failover_cancelled", t.rules.front(), e.node,
                   "node " + e.node + " came back before its isolation deadline; it keeps its services"});
        it2 = s_.transitions.erase(it2);
        continue;
      }
      t.not_before_ms = e.now;
      issue_next(t, e.now);
    }
    ++it2;
  }

  if (was == Liveness::Partitioned || was == Liveness::Suspect)
    alert(Severity::Info, "node_reachable", "", e.node, "controller hears node " + e.node + " again");

  if (fresh) reconcile_addresses(n, e.now, index_addresses());
  place_unplaced(n.spec.pool, e.now);
  reassign_standbys(n.spec.pool);
  check_takeover_ratio(n.spec.pool);
}

void Engine::acquire_in_place(const std::vector<RuleId>& unit, const NodeId& node, TransitionReason reason,
                              TimeMs now) {
  Transition t;
  t.id = s_.next_transition_id++;
  t.rules = unit;
  t.target = node;
  t.reason = reason;
  t.release_from = false;
  for (const auto& rid : unit) {
    RuleState& r = s_.rules.at(rid);
    t.steps.push_back({StepKind::Acquire, rid, node, r.spec.vips, true});
    ++r.epoch;
    r.phase = RulePhase::Switching;
  }
  auto [pos, _] = s_.transitions.emplace(t.id, std::move(t));
  issue_next(pos->second, now);
}

bool Engine::unit_switching(const std::vector<RuleId>& unit) {
  for (const auto& rid : unit)
    if (transition_of_rule(rid)) return true;
  return false;
}

// A reachable node still reports the unit's addresses (a stale holder being told to
// release): placing it now could give a VIP two holders, so wait for the release.
bool Engine::held_by_some_node(const std::vector<RuleId>& unit) const {
  for (const auto& [id, n] : s_.nodes) {
    if (n.liveness != Liveness::Up) continue;
    for (const auto& rid : unit)
      for (const auto& vip : s_.rules.at(rid).spec.vips)
        if (n.held_vips.count(vip.cidr)) return true;
  }
  return false;
}

void Engine::forget_addresses(const NodeId& node, const std::vector<VipSpec>& vips) {
  auto n = s_.nodes.find(node);
  if (n == s_.nodes.end()) return;
  for (const auto& v : vips) n->second.held_vips.erase(v.cidr);
}

Engine::AddressIndex Engine::index_addresses() const {
  AddressIndex idx;
  for (const auto& [rid, r] : s_.rules) {
    for (const auto& vip : r.spec.vips) idx.owner[vip.cidr] = rid;
    if (!r.primary.empty()) idx.primary_of[r.primary].push_back(rid);
  }
  return idx;
}

// Compares what a node says it holds with what the engine decided.
void Engine::reconcile_addresses(NodeState& n, TimeMs now, const AddressIndex& idx) {
  const NodeId node = n.spec.id;
  // A primary that lost its addresses (rebooted between two heartbeats, or someone
  // removed them) no longer serves: move the unit, releasing cleanly first.
  std::set<std::string> seen;
  auto prim = idx.primary_of.find(node);
  const std::vector<RuleId> primaries = prim == idx.primary_of.end() ? std::vector<RuleId>{} : prim->second;
  for (const auto& rid : primaries) {
    const RuleState& r = s_.rules.at(rid);
    if (r.primary != node || r.phase != RulePhase::Running || !seen.insert(unit_key(r.spec)).second) continue;
    auto unit = unit_of(s_, rid);
    bool missing = false;
    for (const auto& u : unit)
      for (const auto& vip : s_.rules.at(u).spec.vips) missing |= !n.held_vips.count(vip.cidr);
    // A member still being acquired here (a group member that just joined) has not
    // reported its addresses yet: that is not a loss.
    if (!missing || unit_switching(unit)) continue;
    alert(Severity::Critical, "vip_missing", rid, node,
          "node " + node + " no longer holds the addresses of " + rid + " (rebooted or removed by hand); moving it");
    if (!automatic_allowed(r)) continue;
    // Elsewhere if possible; if nowhere else, put the addresses back where they were.
    if (!start_transition({unit, node, TransitionReason::MonitorFailed, true, false, "", 0, now}))
      acquire_in_place(unit, node, TransitionReason::Reconfigure, now);
  }
  // Addresses the node holds for rules it is not (or no longer) primary of: the node
  // comes back as idle, so make it let go. Not while a transition may be adding them.
  std::map<RuleId, std::vector<VipSpec>> stale;
  for (const auto& cidr : n.held_vips) {
    auto o = idx.owner.find(cidr);
    if (o == idx.owner.end()) continue;  // not ours (the agent only reports poolha's)
    const RuleState& r = s_.rules.at(o->second);
    if (r.primary == node) continue;
    const Transition* t = transition_of_rule(o->second);
    if (t && t->target == node) continue;
    for (const auto& vip : r.spec.vips)
      if (vip.cidr == cidr) stale[o->second].push_back(vip);
  }
  for (const auto& [rid, vips] : stale) {
    const RuleState& r = s_.rules.at(rid);
    emit(Release{s_.next_action_id++, s_.term, r.epoch, rid, node, r.primary, vips, r.spec.release_script,
                 r.spec.script_timeout_ms});
  }
}

void Engine::on(const NodeUnreachable& e) {
  auto it = s_.nodes.find(e.node);
  if (it == s_.nodes.end() || it->second.liveness != Liveness::Up) return;
  NodeState& n = it->second;
  n.liveness = Liveness::Suspect;
  n.last_heard_ms = std::max(n.last_heard_ms, e.last_heard_ms);
  consult_arbiter(n, e.now);
  // A standby that went quiet is replaced at once: nothing moves, so no need to wait.
  reassign_standbys(n.spec.pool);
  check_takeover_ratio(n.spec.pool);
}

void Engine::on(const ArbiterView& e) {
  // Reachability is news on its own (an empty node: the controller's link to the
  // arbiter went down or came back), so operators hear of it before any failure.
  if (s_.arbiter_reachable != e.arbiter_reachable) {
    s_.arbiter_reachable = e.arbiter_reachable;
    if (!e.arbiter_reachable)
      alert(Severity::Critical, "arbiter_unreachable", "", "",
            "the arbiter does not answer; rules with on_arbiter_down=hold will not fail over until it is back. "
            "Check the arbiter host and the network to it.");
    else
      alert(Severity::Info, "arbiter_reachable", "", "", "the arbiter answers again");
  }
  auto it = s_.nodes.find(e.node);
  if (it == s_.nodes.end()) return;
  NodeState& n = it->second;
  if (n.liveness != Liveness::Suspect && n.liveness != Liveness::Partitioned) return;
  n.last_consult_ms = e.now;
  if (e.arbiter_reachable && e.sees_node) {
    if (n.liveness != Liveness::Partitioned) {
      n.liveness = Liveness::Partitioned;
      alert(Severity::Critical, "arbiter_sees_node", "", e.node,
            "controller lost node " + e.node +
                " but the arbiter still hears it: no switchover. Check the network between controller and node.");
    }
    return;
  }
  // When the arbiter cannot be asked, the controller still passes the latest moment
  // anyone may have renewed the node's lease (a grant it gave the arbiter, its own
  // start as active controller); otherwise 0.
  const TimeMs last = std::max(n.last_heard_ms, e.last_heard_ms);
  const TimeMs deadline = last + s_.settings.isolation_timeout_ms + s_.settings.drift_margin_ms;
  node_failed(n, deadline, !e.arbiter_reachable, e.now);
}

void Engine::consult_arbiter(NodeState& n, TimeMs now) {
  n.last_consult_ms = now;
  emit(ConsultArbiter{n.spec.id});
}

void Engine::recover_unfrozen(const RuleId& leader) {
  RuleState& r = s_.rules.at(leader);
  if (!automatic_allowed(r) || r.primary.empty() || transition_of_rule(leader)) return;
  auto it = s_.nodes.find(r.primary);
  if (it == s_.nodes.end()) return;
  NodeState& n = it->second;
  const TimeMs now = s_.clock_ms;
  if (n.liveness == Liveness::Failed) {
    // Ask the arbiter again, as when the node was first lost: its answer starts the
    // takeover through node_failed, with that path's deadline and on_arbiter_down
    // policy (design §6.4: a failover of a lost node starts only from the arbiter's
    // "not seen", or while the arbiter cannot be asked). A node the arbiter now sees
    // is only reported, as then.
    n.liveness = Liveness::Suspect;
    alert(Severity::Warning, "unfrozen_takeover", leader, n.spec.id,
          "rule " + leader + " unfrozen: asking the arbiter about failed " + n.spec.id + " before taking over");
    consult_arbiter(n, now);
    return;
  }
  const auto unit = unit_of(s_, leader);
  bool failing = !n.healthy;
  for (const auto& rid : unit) failing = failing || n.failing_rules.count(rid) > 0;
  if (!failing || n.liveness != Liveness::Up) return;
  alert(Severity::Warning, "unfrozen_takeover", leader, n.spec.id,
        "rule " + leader + " unfrozen: switching away from " + n.spec.id + ", whose monitor failed");
  start_transition({unit, n.spec.id, TransitionReason::MonitorFailed, true, false, "", 0, now});
  reassign_standbys(n.spec.pool);
  check_takeover_ratio(n.spec.pool);
}

void Engine::node_failed(NodeState& n, TimeMs deadline, bool arbiter_down, TimeMs now) {
  n.liveness = Liveness::Failed;
  alert(Severity::Critical, "node_failed", "", n.spec.id,
        "node " + n.spec.id + " is unreachable from the controller and the arbiter");
  for (const auto& leader : units_on(n.spec.id)) {
    RuleState& r = s_.rules.at(leader);
    if (transition_of_rule(leader)) continue;  // already moving; its steps will fail over
    if (!automatic_allowed(r)) {
      alert(Severity::Critical, "frozen_no_failover", leader, n.spec.id,
            "rule " + leader + " is frozen: its primary failed but nothing was done. Unfreezing it takes over; or switch "
            "by hand.");
      continue;
    }
    if (arbiter_down && r.spec.on_arbiter_down == ArbiterDownPolicy::Hold) {
      alert(Severity::Critical, "held_arbiter_down", leader, n.spec.id,
            "rule " + leader + " holds (on_arbiter_down=hold): arbiter unreachable, primary " + n.spec.id +
                " lost. Restore the arbiter or force a switchover.");
      continue;
    }
    for (const auto& rid : unit_of(s_, leader))
      s_.rules.at(rid).hold_off_until_ms = std::max(s_.rules.at(rid).hold_off_until_ms, deadline);
    Start st{unit_of(s_, leader), n.spec.id, TransitionReason::NodeFailed, false, false, "", deadline, now};
    start_transition(st);
  }
  reassign_standbys(n.spec.pool);
  check_takeover_ratio(n.spec.pool);
}

void Engine::on(const MonitorReport& e) {
  auto it = s_.nodes.find(e.node);
  if (it == s_.nodes.end()) return;
  NodeState& n = it->second;
  if (!e.rule.empty() && !s_.rules.count(e.rule)) return;
  bool changed;
  if (e.rule.empty()) {
    changed = n.healthy != e.healthy;
    n.healthy = e.healthy;
  } else {
    changed = e.healthy ? n.failing_rules.erase(e.rule) > 0 : n.failing_rules.insert(e.rule).second;
  }
  if (!changed) return;
  if (e.healthy) {
    place_unplaced(n.spec.pool, e.now);
    reassign_standbys(n.spec.pool);
    return;
  }
  alert(Severity::Warning, "monitor_failed", e.rule, e.node,
        (e.rule.empty() ? "node monitor" : "monitor of rule " + e.rule) + " failed on " + e.node + ": " + e.detail);
  std::vector<RuleId> leaders = units_on(e.node);
  for (const auto& leader : leaders) {
    auto unit = unit_of(s_, leader);
    if (!e.rule.empty() && std::find(unit.begin(), unit.end(), e.rule) == unit.end()) continue;
    if (transition_of_rule(leader)) continue;
    if (!automatic_allowed(s_.rules.at(leader))) {
      alert(Severity::Critical, "frozen_no_failover", leader, e.node, "rule " + leader + " is frozen: no switchover");
      continue;
    }
    start_transition({unit, e.node, TransitionReason::MonitorFailed, true, false, "", 0, e.now});
  }
  reassign_standbys(n.spec.pool);
  check_takeover_ratio(n.spec.pool);
}

// ---------------------------------------------------------------- transitions

bool Engine::start_transition(const Start& st) {
  Transition t;
  t.id = s_.next_transition_id;
  t.rules = st.unit;
  t.from = st.from;
  t.reason = st.reason;
  t.release_from = st.release_from && !st.from.empty();
  t.forced = st.forced;
  t.requested_target = st.requested_target;
  t.not_before_ms = st.not_before;
  for (const auto& rid : st.unit) t.not_before_ms = std::max(t.not_before_ms, s_.rules.at(rid).hold_off_until_ms);
  Occupancy occ = compute_occupancy(s_);
  if (!choose_target(t, occ)) {
    for (const auto& rid : st.unit) {
      RuleState& r = s_.rules.at(rid);
      if (r.primary.empty() || r.primary == st.from) {
        if (st.reason == TransitionReason::NodeFailed) r.primary.clear();
        if (r.primary.empty()) r.phase = RulePhase::Unplaced;
      }
      std::string why = "no eligible node in pool " + r.spec.pool;
      if (r.last_error != why || st.reason != TransitionReason::Place)
        alert(Severity::Critical, "rule_unprotected", rid, st.from,
              "rule " + rid + ": " + why + (r.primary.empty() ? "; the service is DOWN" : "; it stays where it is") +
                  ". Add capacity to the pool or repair a node.");
      r.last_error = why;
    }
    return false;
  }
  ++s_.next_transition_id;
  if (t.release_from)
    for (auto it = st.unit.rbegin(); it != st.unit.rend(); ++it) {
      const RuleState& r = s_.rules.at(*it);
      if (r.primary == st.from) t.steps.push_back({StepKind::Release, *it, st.from, r.spec.vips, !st.forced});
    }
  for (const auto& rid : st.unit)
    t.steps.push_back({StepKind::Acquire, rid, t.target, s_.rules.at(rid).spec.vips, true});
  for (const auto& rid : st.unit) {
    RuleState& r = s_.rules.at(rid);
    ++r.epoch;
    r.phase = RulePhase::Switching;
    r.last_error.clear();
    // A failed primary no longer holds the service (its isolation deadline guarantees
    // it will have let go before the target adds the VIP).
    if (st.reason == TransitionReason::NodeFailed && r.primary == st.from) r.primary.clear();
  }
  auto [pos, _] = s_.transitions.emplace(t.id, std::move(t));
  issue_next(pos->second, st.now);
  return true;
}

bool Engine::choose_target(Transition& t, const Occupancy& occ) {
  ElectionInput in{t.rules, t.from, t.requested_target, t.tried,
                   t.reason == TransitionReason::Place || t.reason == TransitionReason::Failback};
  auto ranked = rank_candidates(s_, occ, in);
  if (ranked.empty()) return false;
  t.target = ranked.front();
  return true;
}

Action Engine::step_action(const Transition& t, const Step& step, uint64_t action_id) const {
  const RuleState& r = s_.rules.at(step.rule);
  if (step.kind == StepKind::Release)
    return Release{action_id, s_.term, r.epoch, step.rule, step.node, t.target, step.vips,
                   step.run_script ? r.spec.release_script : "", r.spec.script_timeout_ms};
  return Acquire{action_id, s_.term, r.epoch, step.rule, step.node, t.from, step.vips, r.spec.acquire_script,
                 r.spec.script_timeout_ms};
}

void Engine::issue_next(Transition& t, TimeMs now) {
  if (t.waiting_action != 0) return;
  if (now < t.not_before_ms) return;  // waiting out the old primary's isolation deadline
  if (t.next >= t.steps.size()) {
    finish(t, now);
    return;
  }
  t.waiting_action = s_.next_action_id++;
  emit(step_action(t, t.steps[t.next], t.waiting_action));
}

std::vector<Action> Engine::in_flight_actions() const {
  std::vector<Action> out;
  for (const auto& [id, t] : s_.transitions)
    if (t.waiting_action != 0) out.push_back(step_action(t, t.steps[t.next], t.waiting_action));
  return out;
}

void Engine::on(const ActionResult& e) {
  Transition* tp = nullptr;
  for (auto& [id, t] : s_.transitions)
    if (t.waiting_action == e.action_id && e.action_id != 0) tp = &t;
  if (!e.node.empty()) {
    auto n = s_.nodes.find(e.node);
    if (n != s_.nodes.end()) n->second.last_result_action = std::max(n->second.last_result_action, e.action_id);
  }
  if (!tp) return;  // stale, duplicate, or a fire-and-forget release
  Transition& t = *tp;
  const Step step = t.steps[t.next];
  t.waiting_action = 0;
  RuleState& r = s_.rules.at(step.rule);
  const bool ok = e.outcome == ActionOutcome::Ok;

  if (step.kind == StepKind::Release) {
    if (ok || e.vips_removed) {
      forget_addresses(step.node, step.vips);
      if (!ok) {
        t.release_failed = true;
        alert(Severity::Warning, "release_script_failed", step.rule, step.node,
              "release script of " + step.rule + " failed on " + step.node + " (" + e.detail +
                  "); addresses removed, continuing");
      }
      if (r.primary == step.node) r.primary.clear();
      ++t.next;
      issue_next(t, e.now);
      return;
    }
    // We cannot tell whether the node still holds the addresses: adding them elsewhere
    // could give a VIP two holders. Stop and ask an operator.
    for (const auto& rid : t.rules) {
      RuleState& u = s_.rules.at(rid);
      u.phase = RulePhase::AdminWait;
      u.last_error = "release on " + step.node + " not confirmed: " + e.detail;
    }
    alert(Severity::Critical, "admin_wait", step.rule, step.node,
          "could not confirm release of " + step.rule + " on " + step.node + " (" + e.detail +
              "). Check the node, then `poolhactl rule resume " + step.rule + "`.");
    s_.transitions.erase(t.id);
    return;
  }

  // Acquire step.
  if (ok) {
    if (auto n = s_.nodes.find(step.node); n != s_.nodes.end())
      for (const auto& v : step.vips) n->second.held_vips.insert(v.cidr);
    r.primary = step.node;
    t.acquired.push_back(step.rule);
    ++t.next;
    issue_next(t, e.now);
    return;
  }
  const bool conflict = e.outcome == ActionOutcome::Conflict;
  alert(conflict ? Severity::Critical : Severity::Warning, conflict ? "vip_conflict" : "acquire_failed", step.rule,
        step.node,
        "acquire of " + step.rule + " on " + step.node + " failed: " + e.detail +
            (conflict ? ". Another host answers for the VIP; nothing was added." : ""));
  // Undo the unit's partial acquisitions on this target (a group runs on one node or
  // not at all). After a timeout the target may hold the failing rule too.
  std::vector<Step> undo;
  std::vector<RuleId> to_release = t.acquired;
  if (e.outcome == ActionOutcome::TimedOut || e.outcome == ActionOutcome::Unreachable) to_release.push_back(step.rule);
  for (auto it = to_release.rbegin(); it != to_release.rend(); ++it)
    undo.push_back({StepKind::Release, *it, step.node, s_.rules.at(*it).spec.vips, true});
  t.acquired.clear();
  t.tried.push_back(step.node);

  if (conflict) {
    for (const auto& rid : t.rules) {
      RuleState& u = s_.rules.at(rid);
      u.phase = RulePhase::Blocked;
      u.blocked_since_ms = e.now;
      u.last_error = "VIP answered by a foreign host";
      if (u.primary == step.node) u.primary.clear();
    }
    // Releases still go out; the transition then ends with the rules blocked.
    for (auto& u : undo) emit(step_action(t, u, s_.next_action_id++));
    s_.transitions.erase(t.id);
    return;
  }
  for (const auto& rid : to_release)
    if (s_.rules.at(rid).primary == step.node) s_.rules.at(rid).primary.clear();
  if (!conflict) forget_addresses(step.node, step.vips);  // the agent removes them after a failed script
  const NodeId failed_target = t.target;
  t.target.clear();  // so the occupancy below no longer counts the failed target
  if (!choose_target(t, compute_occupancy(s_))) {
    t.target = failed_target;
    for (auto& u : undo) emit(step_action(t, u, s_.next_action_id++));
    fail_unit_without_target(t, "acquire failed on every candidate; last: " + e.detail);
    return;
  }
  std::vector<Step> rest = std::move(undo);
  for (const auto& rid : t.rules) rest.push_back({StepKind::Acquire, rid, t.target, s_.rules.at(rid).spec.vips, true});
  t.steps.erase(t.steps.begin() + static_cast<long>(t.next), t.steps.end());
  t.steps.insert(t.steps.end(), rest.begin(), rest.end());
  for (const auto& rid : t.rules) ++s_.rules.at(rid).epoch;
  issue_next(t, e.now);
}

void Engine::fail_unit_without_target(Transition& t, const std::string& why) {
  const bool admin = t.release_failed || t.reason != TransitionReason::Place;
  for (const auto& rid : t.rules) {
    RuleState& r = s_.rules.at(rid);
    r.primary.clear();
    r.phase = t.release_failed ? RulePhase::AdminWait : RulePhase::Unplaced;
    r.last_error = why;
  }
  if (admin)
    alert(Severity::Critical, t.release_failed ? "admin_wait" : "rule_unprotected", t.rules.front(), t.from,
          "rule " + t.rules.front() + " is DOWN: " + why +
              (t.release_failed ? ". Release failed too: fix the node, then `poolhactl rule resume`."
                                : ". Repair a node or add one to the pool."));
  PoolId pool = s_.rules.at(t.rules.front()).spec.pool;
  s_.transitions.erase(t.id);
  reassign_standbys(pool);
  check_takeover_ratio(pool);
}

void Engine::finish(Transition& t, TimeMs now) {
  const NodeId target = t.target, from = t.from;
  const bool forced = t.forced || t.reason == TransitionReason::Operator;
  const std::vector<RuleId> unit = t.rules;
  for (const auto& rid : unit) {
    RuleState& r = s_.rules.at(rid);
    r.primary = target;
    r.phase = RulePhase::Running;
    r.last_error.clear();
    if (r.standby == target) r.standby.clear();
    emit(AssignRole{target, rid, "primary", r.epoch});
  }
  PoolId pool = s_.rules.at(unit.front()).spec.pool;
  s_.transitions.erase(t.id);
  // Members that joined the group while it was being placed or moved (they had to
  // wait: placing them apart would start a second transition for the same unit)
  // follow it now.
  std::vector<RuleId> joiners;
  for (const auto& rid : unit_of(s_, unit.front())) {
    const RuleState& r = s_.rules.at(rid);
    if (std::find(unit.begin(), unit.end(), rid) == unit.end() && r.primary.empty() &&
        r.phase == RulePhase::Unplaced && !transition_of_rule(rid))
      joiners.push_back(rid);
  }
  if (!joiners.empty()) acquire_in_place(joiners, target, TransitionReason::Place, now);
  // A forced or manual switch swaps roles: the old primary stands by, if it can.
  if (forced && !from.empty()) {
    Occupancy occ = compute_occupancy(s_);
    if (ineligibility(s_, occ, unit, from).empty())
      for (const auto& rid : unit) {
        RuleState& r = s_.rules.at(rid);
        if (!r.standby.empty() && r.standby != from) emit(AssignRole{r.standby, rid, "idle", r.epoch});
        r.standby = from;
        emit(AssignRole{from, rid, "standby", r.epoch});
      }
  } else if (!from.empty() && from != target) {
    for (const auto& rid : unit) emit(AssignRole{from, rid, "idle", s_.rules.at(rid).epoch});
  }
  reassign_standbys(pool);
  check_takeover_ratio(pool);
}

// ---------------------------------------------------------------- periodic

void Engine::on(const Tick& e) {
  for (auto& [id, t] : s_.transitions)
    if (t.waiting_action == 0 && e.now >= t.not_before_ms) issue_next(t, e.now);
  // issue_next may finish transitions; iterate over ids again for safety below.
  for (auto& [id, n] : s_.nodes)
    if ((n.liveness == Liveness::Partitioned || n.liveness == Liveness::Suspect) &&
        e.now - n.last_consult_ms >= s_.settings.arbiter_recheck_ms)
      consult_arbiter(n, e.now);
  std::set<std::string> retried;
  for (auto& [id, r] : s_.rules) {
    if (r.phase != RulePhase::Blocked || e.now - r.blocked_since_ms < s_.settings.conflict_retry_ms) continue;
    if (!retried.insert(unit_key(r.spec)).second || transition_of_rule(id)) continue;
    auto unit = unit_of(s_, id);
    for (const auto& rid : unit) s_.rules.at(rid).blocked_since_ms = e.now;
    // The foreign answer may have been our own primary (a forced switch away from a
    // node that was cut off but still on the clients' network): if it is back and
    // holds the addresses, the rule simply runs there.
    if (!r.primary.empty() && s_.nodes.count(r.primary)) {
      const NodeState& p = s_.nodes.at(r.primary);
      bool holds = p.liveness == Liveness::Up;
      for (const auto& rid : unit)
        for (const auto& vip : s_.rules.at(rid).spec.vips) holds = holds && p.held_vips.count(vip.cidr) > 0;
      if (holds) {
        for (const auto& rid : unit) s_.rules.at(rid).phase = RulePhase::Running;
        alert(Severity::Info, "conflict_resolved", id, r.primary, "rule " + id + " still runs on " + r.primary);
        continue;
      }
    }
    if (!automatic_allowed(r)) continue;
    start_transition({unit, "", TransitionReason::Retry, false, false, "", 0, e.now});
  }
  auto_failback(e.now, e.minute_of_day);
  // Rules left without a node (nothing was eligible, or every candidate failed) are
  // tried again now and then: eligibility can return without any event saying so.
  if (e.now - s_.last_placement_retry_ms >= s_.settings.conflict_retry_ms) {
    s_.last_placement_retry_ms = e.now;
    const AddressIndex idx = index_addresses();
    for (auto& [id, n] : s_.nodes)
      if (n.liveness == Liveness::Up) reconcile_addresses(n, e.now, idx);
    for (const auto& [pid, p] : s_.pools) place_unplaced(pid, e.now);
  }
}

void Engine::auto_failback(TimeMs now, int minute_of_day) {
  std::set<std::string> seen;
  for (auto& [id, r] : s_.rules) {
    if (r.spec.failback != FailbackPolicy::Automatic || r.spec.home.empty() || r.primary.empty() ||
        r.primary == r.spec.home || r.phase != RulePhase::Running || !automatic_allowed(r))
      continue;
    if (!seen.insert(unit_key(r.spec)).second || transition_of_rule(id)) continue;
    const bool in_window = r.spec.failback_window_start_min <= r.spec.failback_window_end_min
                               ? minute_of_day >= r.spec.failback_window_start_min &&
                                     minute_of_day < r.spec.failback_window_end_min
                               : minute_of_day >= r.spec.failback_window_start_min ||
                                     minute_of_day < r.spec.failback_window_end_min;
    if (!in_window) continue;
    auto home = s_.nodes.find(r.spec.home);
    auto cur = s_.nodes.find(r.primary);
    if (home == s_.nodes.end() || home->second.liveness != Liveness::Up ||
        now - home->second.up_since_ms < r.spec.failback_delay_ms)
      continue;
    if (cur != s_.nodes.end() && home->second.spec.priority < cur->second.spec.priority) continue;
    auto unit = unit_of(s_, id);
    Occupancy occ = compute_occupancy(s_);
    if (!ineligibility(s_, occ, unit, r.spec.home).empty()) continue;
    start_transition({unit, r.primary, TransitionReason::Failback, true, false, r.spec.home, 0, now});
  }
}

// ---------------------------------------------------------------- pool upkeep

void Engine::place_unplaced(const PoolId& pool, TimeMs now) {
  std::vector<std::pair<int, RuleId>> order;
  for (const auto& [id, r] : s_.rules)
    if (r.spec.pool == pool && r.phase == RulePhase::Unplaced && r.primary.empty()) order.emplace_back(-r.spec.priority, id);
  std::sort(order.begin(), order.end());
  std::set<std::string> seen;
  for (const auto& [prio, id] : order) {
    const RuleState& r = s_.rules.at(id);
    if (!seen.insert(unit_key(r.spec)).second || transition_of_rule(id) || !automatic_allowed(r)) continue;
    auto unit = unit_of(s_, id);
    bool all_unplaced = true;
    for (const auto& rid : unit) all_unplaced &= s_.rules.at(rid).primary.empty();
    // A member already being placed: the others join it when it is done (finish()).
    if (!all_unplaced || unit_switching(unit) || held_by_some_node(unit)) continue;
    start_transition({unit, "", TransitionReason::Place, false, false, "", 0, now});
  }
}

void Engine::reassign_standbys(const PoolId& pool) {
  Occupancy occ = compute_occupancy(s_);
  std::set<std::string> seen;
  for (auto& [id, r] : s_.rules) {
    if (r.spec.pool != pool || !seen.insert(unit_key(r.spec)).second) continue;
    auto unit = unit_of(s_, id);
    const RuleState& lead = s_.rules.at(unit.front());
    NodeId want;
    if (!lead.primary.empty() && lead.phase == RulePhase::Running) {
      const bool keep = !lead.standby.empty() && lead.standby != lead.primary &&
                        ineligibility(s_, occ, unit, lead.standby).empty() &&
                        (lead.spec.fixed_target.empty() || lead.standby == lead.spec.fixed_target);
      want = keep ? lead.standby : choose_standby(s_, occ, unit, lead.primary);
    } else if (lead.phase == RulePhase::Switching) {
      continue;  // decided when the transition finishes
    }
    if (want == lead.standby) continue;
    const NodeId old = lead.standby;
    if (!old.empty()) --occ.standby_duties[old];
    if (!want.empty()) ++occ.standby_duties[want];
    for (const auto& rid : unit) {
      RuleState& u = s_.rules.at(rid);
      if (!old.empty() && s_.nodes.count(old)) emit(AssignRole{old, rid, "idle", u.epoch});
      u.standby = want;
      if (!want.empty()) emit(AssignRole{want, rid, "standby", u.epoch});
    }
    if (want.empty() && !lead.primary.empty())
      alert(Severity::Warning, "no_standby", unit.front(), lead.primary,
            "rule " + unit.front() + " has no standby: pool " + pool + " has no eligible spare");
  }
}

namespace {

PoolCapacity capacity_of(const ClusterState& s, const Occupancy& occ, const PoolId& pool) {
  PoolCapacity out;
  std::set<std::string> units;
  for (const auto& [id, n] : s.nodes) {
    if (n.spec.pool != pool || n.liveness != Liveness::Up || n.maintenance || !n.healthy) continue;
    auto h = occ.hosted.find(id);
    out.spare += std::max(0, n.spec.capacity - (h == occ.hosted.end() ? 0 : h->second));
  }
  for (const auto& [id, r] : s.rules)
    if (r.spec.pool == pool) units.insert(unit_key(r.spec));
  out.services = units.size();
  out.ratio = units.empty() ? 0.0 : static_cast<double>(out.spare) / static_cast<double>(units.size());
  return out;
}

}  // namespace

PoolCapacity pool_capacity(const ClusterState& s, const PoolId& pool) { return capacity_of(s, compute_occupancy(s), pool); }

std::map<PoolId, PoolCapacity> pool_capacities(const ClusterState& s) {
  const Occupancy occ = compute_occupancy(s);
  std::map<PoolId, PoolCapacity> out;
  for (const auto& [id, p] : s.pools) out[id] = capacity_of(s, occ, id);
  return out;
}

void Engine::check_takeover_ratio(const PoolId& pool) {
  auto pit = s_.pools.find(pool);
  if (pit == s_.pools.end()) return;
  const PoolCapacity cap = pool_capacity(s_, pool);
  if (cap.services == 0) return;
  const bool low = cap.ratio < pit->second.spec.min_takeover_ratio;
  if (low == pit->second.ratio_alert) return;
  pit->second.ratio_alert = low;
  char buf[160];
  std::snprintf(buf, sizeof buf, "pool %s takeover ratio %.0f%% (%d spare for %zu services), minimum %.0f%%",
                pool.c_str(), cap.ratio * 100, cap.spare, cap.services, pit->second.spec.min_takeover_ratio * 100);
  alert(low ? Severity::Warning : Severity::Info, low ? "takeover_ratio_low" : "takeover_ratio_ok", "", "",
        std::string(buf) + (low ? ". Add spare nodes to the pool." : ""));
}

}  // namespace poolha::rules
