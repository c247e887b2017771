// Operator commands and configuration changes. Each validates before it changes
// anything it cannot undo; Engine::apply restores the state on any rejection anyway.
#include <algorithm>
#include <set>

#include "common/json_text.h"
#include "rules/engine.h"
#include "rules/placement.h"
#include "rules/rule_templates.h"
#include "rules/validation.h"

namespace poolha::rules {

void Engine::on(const UpsertPool& e) {
  if (auto err = validate_pool(e.spec); !err.empty()) return reject(err);
  auto& p = s_.pools[e.spec.id];
  p.spec = e.spec;
  check_takeover_ratio(e.spec.id);
}

void Engine::on(const DeletePool& e) {
  if (!s_.pools.count(e.pool)) return reject("pool " + e.pool + " does not exist");
  for (const auto& [id, n] : s_.nodes)
    if (n.spec.pool == e.pool) return reject("pool " + e.pool + " still has node " + id + "; remove its nodes first");
  for (const auto& [id, r] : s_.rules)
    if (r.spec.pool == e.pool) return reject("pool " + e.pool + " still has rule " + id + "; delete its rules first");
  s_.pools.erase(e.pool);
}

void Engine::on(const UpsertNode& e) {
  if (auto err = validate_node(e.spec); !err.empty()) return reject(err);
  if (!s_.pools.count(e.spec.pool)) return reject("node " + e.spec.id + ": pool: pool " + e.spec.pool + " does not exist");
  auto it = s_.nodes.find(e.spec.id);
  if (it != s_.nodes.end() && it->second.spec.pool != e.spec.pool && !units_on(e.spec.id).empty())
    return reject("node " + e.spec.id + " hosts services in pool " + it->second.spec.pool +
                  "; put it in maintenance to drain it before moving it");
  NodeState& n = s_.nodes[e.spec.id];
  const PoolId old_pool = n.spec.pool;
  n.spec = e.spec;
  if (!old_pool.empty() && old_pool != e.spec.pool) reassign_standbys(old_pool);
  place_unplaced(e.spec.pool, n.last_heard_ms);
  reassign_standbys(e.spec.pool);
  check_takeover_ratio(e.spec.pool);
}

void Engine::on(const RemoveNode& e) {
  auto it = s_.nodes.find(e.node);
  if (it == s_.nodes.end()) return reject("node " + e.node + " does not exist");
  if (!units_on(e.node).empty())
    return reject("node " + e.node + " hosts services; put it in maintenance to drain it first");
  for (const auto& [id, t] : s_.transitions)
    if (t.target == e.node || t.from == e.node) return reject("node " + e.node + " is part of a switch in progress");
  PoolId pool = it->second.spec.pool;
  s_.nodes.erase(it);
  reassign_standbys(pool);
  check_takeover_ratio(pool);
}

void Engine::on(const SetMaintenance& e) {
  auto it = s_.nodes.find(e.node);
  if (it == s_.nodes.end()) return reject("node " + e.node + " does not exist");
  NodeState& n = it->second;
  if (n.maintenance == e.on) return;
  n.maintenance = e.on;
  if (e.on) move_units_off(e.node, TransitionReason::Drain, e.now);
  else place_unplaced(n.spec.pool, e.now);
  reassign_standbys(n.spec.pool);
  check_takeover_ratio(n.spec.pool);
}

void Engine::move_units_off(const NodeId& node, TransitionReason reason, TimeMs now) {
  for (const auto& leader : units_on(node)) {
    if (transition_of_rule(leader)) continue;
    start_transition({unit_of(s_, leader), node, reason, true, false, "", 0, now});
  }
}

void Engine::on(const UpsertRule& e) {
  if (auto err = validate_rule(e.spec); !err.empty()) return reject(err);
  const RuleSpec& spec = e.spec;
  if (!s_.pools.count(spec.pool)) return reject("rule " + spec.id + ": pool: pool " + spec.pool + " does not exist");
  if (!spec.from_template.empty() && !s_.templates.count(spec.from_template))
    return reject("rule " + spec.id + ": from_template: template " + spec.from_template + " does not exist");
  for (const auto& [field, n] : {std::pair{"home", spec.home}, std::pair{"fixed_target", spec.fixed_target}})
    if (!n.empty() && (!s_.nodes.count(n) || s_.nodes.at(n).spec.pool != spec.pool))
      return reject("rule " + spec.id + ": " + field + ": node " + n + " is not in pool " + spec.pool);
  for (const auto& [id, r] : s_.rules) {
    if (id == spec.id) continue;
    for (const auto& v : r.spec.vips)
      for (const auto& mine : spec.vips)
        if (v.cidr.substr(0, v.cidr.find('/')) == mine.cidr.substr(0, mine.cidr.find('/')))
          return reject("rule " + spec.id + ": vips: " + mine.cidr + " already belongs to rule " + id);
  }
  auto it = s_.rules.find(spec.id);
  if (it == s_.rules.end()) {
    RuleState r;
    r.spec = spec;
    s_.rules.emplace(spec.id, std::move(r));
    // A new member of a group that already runs joins it where the group is.
    auto unit = unit_of(s_, spec.id);
    NodeId group_home;
    for (const auto& rid : unit)
      if (!s_.rules.at(rid).primary.empty()) group_home = s_.rules.at(rid).primary;
    if (!group_home.empty()) {
      RuleState& nr = s_.rules.at(spec.id);
      nr.standby = s_.rules.at(unit.front() == spec.id ? unit.back() : unit.front()).standby;
      acquire_in_place({spec.id}, group_home, TransitionReason::Place, e.now);
    } else {
      place_unplaced(spec.pool, e.now);
    }
    reassign_standbys(spec.pool);
    check_takeover_ratio(spec.pool);
    return;
  }
  RuleState& r = it->second;
  if (r.spec.pool != spec.pool) return reject("rule " + spec.id + ": moving a rule to another pool is not supported; delete and re-create it");
  if (r.spec.group != spec.group && !r.primary.empty())
    return reject("rule " + spec.id + ": change the group of a running rule by deleting and re-creating it");
  if (transition_of_rule(spec.id)) return reject("rule " + spec.id + " is switching; retry when it is running");
  bool vips_changed = r.spec.vips.size() != spec.vips.size();
  for (size_t i = 0; !vips_changed && i < spec.vips.size(); ++i)
    vips_changed = spec.vips[i].cidr != r.spec.vips[i].cidr || spec.vips[i].interface != r.spec.vips[i].interface;
  const std::vector<VipSpec> old_vips = r.spec.vips;
  r.spec = spec;
  if (vips_changed && !r.primary.empty() && r.phase == RulePhase::Running) {
    // Live change: release the old addresses and acquire the new ones on the same node.
    Transition t;
    t.id = s_.next_transition_id++;
    t.rules = {spec.id};
    t.from = r.primary;
    t.target = r.primary;
    t.reason = TransitionReason::Reconfigure;
    t.steps.push_back({StepKind::Release, spec.id, r.primary, old_vips, false});
    t.steps.push_back({StepKind::Acquire, spec.id, r.primary, spec.vips, false});
    ++r.epoch;
    r.phase = RulePhase::Switching;
    auto [pos, _] = s_.transitions.emplace(t.id, std::move(t));
    issue_next(pos->second, e.now);
  }
  if (r.primary.empty() && r.phase == RulePhase::Unplaced) place_unplaced(spec.pool, e.now);
  reassign_standbys(spec.pool);
  check_takeover_ratio(spec.pool);
}

void Engine::on(const DeleteRule& e) {
  auto it = s_.rules.find(e.rule);
  if (it == s_.rules.end()) return reject("rule " + e.rule + " does not exist");
  if (transition_of_rule(e.rule)) return reject("rule " + e.rule + " is switching; retry when it is running");
  RuleState& r = it->second;
  if (!r.primary.empty())
    emit(Release{s_.next_action_id++, s_.term, r.epoch + 1, e.rule, r.primary, "", r.spec.vips,
                 r.spec.release_script, r.spec.script_timeout_ms});
  for (const NodeId& n : {r.primary, r.standby})
    if (!n.empty()) emit(AssignRole{n, e.rule, "idle", r.epoch + 1});
  PoolId pool = r.spec.pool;
  s_.rules.erase(it);
  reassign_standbys(pool);
  check_takeover_ratio(pool);
}

void Engine::on(const Switchover& e) {
  auto it = s_.rules.find(e.rule);
  if (it == s_.rules.end()) return reject("rule " + e.rule + " does not exist");
  if (transition_of_rule(e.rule)) return reject("rule " + e.rule + " is already switching");
  auto unit = unit_of(s_, e.rule);
  const RuleState& lead = s_.rules.at(unit.front());
  if (lead.primary.empty() && !e.forced)
    return reject("rule " + e.rule + " has no primary; use --force to place it, or `poolhactl rule resume`");
  if (!e.target.empty() && !s_.nodes.count(e.target)) return reject("node " + e.target + " does not exist");
  if (!e.target.empty() && e.target == lead.primary) return reject("rule " + e.rule + " already runs on " + e.target);
  NodeId target = e.target;
  if (target.empty() && !lead.standby.empty()) target = lead.standby;
  Occupancy occ = compute_occupancy(s_);
  if (!target.empty()) {
    std::string why = ineligibility(s_, occ, unit, target);
    if (!why.empty()) return reject("node " + target + " cannot take rule " + e.rule + ": " + why);
  }
  const NodeId from = lead.primary;
  bool from_reachable = !from.empty() && s_.nodes.count(from) && s_.nodes.at(from).liveness == Liveness::Up;
  TimeMs not_before = 0;
  if (!from.empty() && !from_reachable) {
    // Forced switch away from an unreachable primary: wait out its isolation deadline.
    const NodeState& f = s_.nodes.at(from);
    not_before = f.last_heard_ms + s_.settings.isolation_timeout_ms + s_.settings.drift_margin_ms;
    for (const auto& rid : unit) s_.rules.at(rid).hold_off_until_ms = std::max(s_.rules.at(rid).hold_off_until_ms, not_before);
  }
  if (!from.empty() && s_.nodes.count(from) && s_.nodes.at(from).liveness == Liveness::Partitioned)
    return reject("primary " + from + " of rule " + e.rule +
                  " is cut off from the controller but the arbiter still hears it: it may still serve and hold "
                  "its VIPs. Repair the controller's link to it, or stop the node, then switch.");
  if (!from.empty() && !from_reachable && !e.forced)
    return reject("primary " + from + " of rule " + e.rule + " is unreachable; a graceful switchover needs it. Use --force.");
  for (const auto& rid : unit) {
    RuleState& r = s_.rules.at(rid);
    if (r.phase == RulePhase::AdminWait || r.phase == RulePhase::Blocked) r.phase = r.primary.empty() ? RulePhase::Unplaced : RulePhase::Running;
  }
  const TransitionReason reason = e.forced ? TransitionReason::Forced : TransitionReason::Operator;
  if (!start_transition({unit, from, reason, from_reachable, e.forced, target, not_before, e.now}))
    return reject("no eligible node can take rule " + e.rule);
}

void Engine::on(const Failback& e) {
  auto it = s_.rules.find(e.rule);
  if (it == s_.rules.end()) return reject("rule " + e.rule + " does not exist");
  const RuleState& r = it->second;
  if (r.spec.failback == FailbackPolicy::Never) return reject("rule " + e.rule + " has failback=never");
  if (r.spec.home.empty()) return reject("rule " + e.rule + " has no home node to fail back to");
  if (r.primary == r.spec.home) return reject("rule " + e.rule + " already runs on its home node " + r.spec.home);
  if (r.primary.empty()) return reject("rule " + e.rule + " has no primary to fail back from");
  if (transition_of_rule(e.rule)) return reject("rule " + e.rule + " is already switching");
  const auto& cur = s_.nodes.at(r.primary);
  const auto hit = s_.nodes.find(r.spec.home);
  if (hit == s_.nodes.end()) return reject("home node " + r.spec.home + " does not exist");
  if (hit->second.spec.priority < cur.spec.priority)
    return reject("home node " + r.spec.home + " has lower priority than " + r.primary + "; failback never goes down");
  auto unit = unit_of(s_, e.rule);
  Occupancy occ = compute_occupancy(s_);
  if (auto why = ineligibility(s_, occ, unit, r.spec.home); !why.empty())
    return reject("home node " + r.spec.home + " cannot take rule " + e.rule + ": " + why);
  if (!start_transition({unit, r.primary, TransitionReason::Failback, true, false, r.spec.home, 0, e.now}))
    return reject("failback of " + e.rule + " found no target");
}

void Engine::on(const Freeze& e) {
  if (!e.pool.empty()) {
    auto it = s_.pools.find(e.pool);
    if (it == s_.pools.end()) return reject("pool " + e.pool + " does not exist");
    it->second.spec.frozen = e.on;
    if (!e.on) {
      std::set<std::string> units;
      std::vector<RuleId> leaders;
      for (const auto& [id, r] : s_.rules)
        if (r.spec.pool == e.pool && units.insert(unit_key(r.spec)).second) leaders.push_back(unit_of(s_, id).front());
      for (const auto& leader : leaders) recover_unfrozen(leader);
    }
    return;
  }
  auto it = s_.rules.find(e.rule);
  if (it == s_.rules.end()) return reject("rule " + e.rule + " does not exist");
  for (const auto& rid : unit_of(s_, e.rule)) s_.rules.at(rid).frozen = e.on;
  if (!e.on) recover_unfrozen(unit_of(s_, e.rule).front());
}

void Engine::on(const Resume& e) {
  auto it = s_.rules.find(e.rule);
  if (it == s_.rules.end()) return reject("rule " + e.rule + " does not exist");
  if (it->second.phase != RulePhase::AdminWait && it->second.phase != RulePhase::Blocked &&
      it->second.phase != RulePhase::Unplaced)
    return reject("rule " + e.rule + " is " + to_string(it->second.phase) + ", nothing to resume");
  for (const auto& rid : unit_of(s_, e.rule)) {
    RuleState& r = s_.rules.at(rid);
    r.phase = r.primary.empty() ? RulePhase::Unplaced : RulePhase::Running;
    r.last_error.clear();
  }
  // The operator says the node is fixed; still check it holds what we think it does.
  if (const NodeId& p = it->second.primary; !p.empty() && s_.nodes.count(p) && s_.nodes.at(p).liveness == Liveness::Up)
    reconcile_addresses(s_.nodes.at(p), e.now, index_addresses());
  place_unplaced(it->second.spec.pool, e.now);
  reassign_standbys(it->second.spec.pool);
}

void Engine::on(const SetSettings& e) {
  if (auto err = validate_settings(e.settings); !err.empty()) return reject(err);
  s_.settings = e.settings;
}

void Engine::on(const SetTerm& e) {
  if (e.term < s_.term) return reject("term " + std::to_string(e.term) + " is older than " + std::to_string(s_.term));
  s_.term = e.term;
}

void Engine::on(const RevokeCertificate& e) {
  if (auto err = validate_revocation(e.serial, e.note); !err.empty()) return reject(err);
  if (s_.revoked.size() >= kMaxRevocations && !s_.revoked.count(e.serial))
    return reject("already " + std::to_string(kMaxRevocations) + " revoked certificates: issue a new CA instead");
  s_.revoked[e.serial] = e.note;
}

void Engine::on(const UpsertTemplate& e) {
  if (auto err = validate_template(e.spec); !err.empty()) return reject(err);
  if (!s_.templates.count(e.spec.id) && s_.templates.size() >= kMaxTemplates)
    return reject("at most " + std::to_string(kMaxTemplates) + " templates; delete unused ones first");
  RuleTemplate& t = s_.templates[e.spec.id];
  t = e.spec;
  t.fields = json_text(Json::parse(e.spec.fields, nullptr, false));  // one spelling of equal fields (validated above)
}

void Engine::on(const DeleteTemplate& e) {
  if (!s_.templates.count(e.template_id)) return reject("template " + e.template_id + " does not exist");
  std::vector<RuleId> users;
  for (const auto& [id, r] : s_.rules)
    if (r.spec.from_template == e.template_id) users.push_back(id);
  if (!users.empty()) {
    std::string list;
    for (size_t i = 0; i < users.size() && i < 5; ++i) list += (i ? ", " : "") + users[i];
    if (users.size() > 5) list += ", ...";
    return reject("template " + e.template_id + " is used by " + std::to_string(users.size()) + " rule(s) (" + list +
                  "); clear their from_template first");
  }
  s_.templates.erase(e.template_id);
}

}  // namespace poolha::rules
