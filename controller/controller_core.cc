#include "controller/controller_core.h"

#include <spdlog/spdlog.h>

#include "rules/json_codec.h"

namespace poolha::controller {

namespace {

// The time an event carries, if any.
TimeMs event_time(const rules::Event& e) {
  return std::visit(
      [](const auto& v) -> TimeMs {
        if constexpr (requires { v.now; }) return v.now;
        else return 0;
      },
      e);
}

// Room for the ARP probe, the announcements and the round trip on top of the script.
constexpr TimeMs kActionMarginMs = 2000;

rules::ActionOutcome outcome_of(wire::CommandResult::Outcome o) {
  switch (o) {
    case wire::CommandResult::OK: return rules::ActionOutcome::Ok;
    case wire::CommandResult::TIMED_OUT: return rules::ActionOutcome::TimedOut;
    case wire::CommandResult::CONFLICT: return rules::ActionOutcome::Conflict;
    default: return rules::ActionOutcome::Failed;  // FAILED, STALE
  }
}

const char* outcome_name(wire::CommandResult::Outcome o) {
  switch (o) {
    case wire::CommandResult::OK: return "ok";
    case wire::CommandResult::FAILED: return "failed";
    case wire::CommandResult::TIMED_OUT: return "timed-out";
    case wire::CommandResult::CONFLICT: return "conflict";
    case wire::CommandResult::STALE: return "stale";
    default: return "unknown";
  }
}

// The heartbeat reports exactly the addresses the engine believes the node holds.
bool same_addresses(const wire::Heartbeat& hb, const std::set<std::string>& known) {
  for (const auto& v : hb.held_vips())
    if (!known.count(v)) return false;
  for (const auto& k : known)
    if (std::find(hb.held_vips().begin(), hb.held_vips().end(), k) == hb.held_vips().end()) return false;
  return true;
}

}  // namespace

ControllerCore::ControllerCore(CommandLog& log, EventHistory& history, Outbox& out)
    : log_(log), history_(history), out_(out), liveness_(rules::Settings{}.suspect_after_ms) {}

Status ControllerCore::start(TimeMs now, const rules::Settings& initial) {
  auto rec = log_.recover();
  if (!rec.ok()) return rec.status();
  engine_ = rules::Engine(rec->snapshot ? *rec->snapshot : rules::ClusterState{});
  last_snapshot_ = rec->snapshot_index;
  for (const auto& entry : rec->entries) {
    engine_.apply(entry.event);  // decisions were carried out before the restart
    last_now_ = std::max(last_now_, event_time(entry.event));
  }
  spdlog::info("recovered state: snapshot at {}, {} commands replayed, {} rules, {} nodes", rec->snapshot_index,
               rec->entries.size(), engine_.state().rules.size(), engine_.state().nodes.size());
  now = std::max(now, last_now_);
  if (!rec->snapshot && rec->entries.empty()) {
    if (auto st = commit(rules::SetSettings{initial}); !st.ok()) return st;
  }
  // A new term: agents order commands by epoch, and this tells them (and the log)
  // that a new controller incarnation acts from here on.
  if (auto st = commit(rules::SetTerm{engine_.state().term + 1}); !st.ok()) return st;
  liveness_.set_suspect_after(engine_.state().settings.suspect_after_ms);
  // Nodes the engine believes up get a grace period instead of being declared lost
  // for the silence of the restart.
  // Agents retry with a backoff of up to 1 s, so the grace covers one full retry.
  constexpr TimeMs kAgentRetryMaxMs = 1000;
  for (const auto& [id, n] : engine_.state().nodes)
    if (n.liveness == rules::Liveness::Up) liveness_.assume_up(id, now, engine_.state().settings.suspect_after_ms + kAgentRetryMaxMs);
  for (const auto& a : engine_.in_flight_actions()) send_action(a, now);
  history_.record({.kind = "controller:start", .outcome = "ok",
                   .detail = "term " + std::to_string(engine_.state().term) + ", " +
                             std::to_string(engine_.in_flight_actions().size()) + " in-flight actions resent"});
  return Status::Ok();
}

Status ControllerCore::commit(const rules::Event& e, const std::string& actor) {
  auto idx = log_.append(e);
  if (!idx.ok()) {
    spdlog::error("{}: not applied", idx.error());
    return idx.status();
  }
  last_now_ = std::max(last_now_, event_time(e));
  rules::Decision d = engine_.apply(e);
  if (!d.ok()) {
    if (actor != "controller")
      history_.record({.kind = std::string("operator:") + rules::event_name(e), .outcome = "rejected",
                       .detail = d.rejected, .actor = actor});
    return Status::Error(d.rejected);
  }
  if (std::holds_alternative<rules::SetSettings>(e))
    liveness_.set_suspect_after(engine_.state().settings.suspect_after_ms);
  carry_out(d, event_time(e) ? event_time(e) : last_now_);
  if (*idx - last_snapshot_ >= snapshot_every_) {
    if (auto st = log_.snapshot(*idx, engine_.state()); st.ok()) last_snapshot_ = *idx;
    else spdlog::error("snapshot at {}: {}", *idx, st.error());
  }
  return Status::Ok();
}

void ControllerCore::carry_out(const rules::Decision& d, TimeMs now) {
  for (const auto& a : d.actions) send_action(a, now);
  // Results the sends produced (a node with no session) are events of their own,
  // applied after this decision, in order.
  if (draining_) return;
  draining_ = true;
  while (!queue_.empty()) {
    rules::Event next = std::move(queue_.front());
    queue_.pop_front();
    (void)commit(next);
  }
  draining_ = false;
}

void ControllerCore::send_action(const rules::Action& a, TimeMs now) {
  if (auto cmd = rules::agent_command(a)) {
    wire::Command c;
    c.set_action_id(cmd->action_id);
    c.set_term(engine_.state().term);
    c.set_epoch(cmd->epoch);
    c.set_rule(cmd->rule);
    c.set_kind(cmd->acquire ? wire::Command::ACQUIRE : wire::Command::RELEASE);
    for (const auto& v : cmd->vips) {
      auto* w = c.add_vips();
      w->set_cidr(v.cidr);
      w->set_interface(v.interface);
    }
    TimeMs script_timeout = 0;
    if (const auto* acq = std::get_if<rules::Acquire>(&a)) {
      c.set_script(acq->script);
      c.set_old_node(acq->old_node);
      c.set_new_node(acq->node);
      script_timeout = acq->script_timeout_ms;
    } else if (const auto* rel = std::get_if<rules::Release>(&a)) {
      c.set_script(rel->script);
      c.set_old_node(rel->node);
      c.set_new_node(rel->new_node);
      script_timeout = rel->script_timeout_ms;
    }
    c.set_script_timeout_ms(script_timeout);
    const int64_t hid = history_.record({.kind = cmd->acquire ? "acquire" : "release", .rule = cmd->rule,
                                         .node = cmd->node, .outcome = "sent",
                                         .detail = "action " + std::to_string(cmd->action_id) + ", epoch " +
                                                   std::to_string(cmd->epoch)});
    pending_[cmd->action_id] = {cmd->node, cmd->rule, cmd->acquire, now, now + script_timeout + kActionMarginMs, hid};
    spdlog::info("{} {} on {} (action {}, epoch {})", cmd->acquire ? "acquire" : "release", cmd->rule, cmd->node,
                 cmd->action_id, cmd->epoch);
    if (!out_.send_command(cmd->node, c)) {
      pending_.erase(cmd->action_id);
      (void)history_.complete(hid, "unreachable", 0, "no session with " + cmd->node);
      queue_.push_back(rules::ActionResult{cmd->action_id, "", rules::ActionOutcome::Unreachable, false,
                                           "no session with " + cmd->node, now});
    }
    return;
  }
  if (const auto* role = std::get_if<rules::AssignRole>(&a)) {
    out_.send_role(role->node, role_message(role->rule, role->role, role->epoch));
    return;
  }
  if (const auto* consult = std::get_if<rules::ConsultArbiter>(&a)) {
    out_.consult_arbiter(consult->node);
    return;
  }
  if (const auto* alert = std::get_if<rules::Alert>(&a)) {
    if (alert->severity == rules::Severity::Critical) spdlog::critical("ALERT {} {}", alert->code, alert->message);
    else spdlog::warn("alert {} {}", alert->code, alert->message);
    history_.record({.kind = "alert:" + alert->code, .rule = alert->rule, .node = alert->node,
                     .outcome = rules::to_string(alert->severity), .detail = alert->message});
  }
}

wire::RoleAssignment ControllerCore::role_message(const rules::RuleId& rule, const std::string& role,
                                                   uint64_t epoch) const {
  wire::RoleAssignment m;
  m.set_rule(rule);
  m.set_role(role);
  m.set_epoch(epoch);
  auto it = engine_.state().rules.find(rule);
  if (it != engine_.state().rules.end()) {
    m.set_release_script(it->second.spec.release_script);
    m.set_script_timeout_ms(it->second.spec.script_timeout_ms);
    for (const auto& mon : it->second.spec.monitors) {
      auto* w = m.add_monitors();
      w->set_name(mon.name);
      w->set_kind(mon.kind);
      for (const auto& [k, v] : mon.params) (*w->mutable_params())[k] = v;
      w->set_interval_ms(mon.interval_ms);
      w->set_timeout_ms(mon.timeout_ms);
      w->set_threshold(mon.threshold);
      w->set_restarts(mon.restarts);
      w->set_restart_script(mon.restart_script);
    }
  }
  return m;
}

void ControllerCore::send_roles_to(const NodeId& node) {
  for (const auto& [id, r] : engine_.state().rules) {
    const char* role = r.primary == node ? "primary" : r.standby == node ? "standby" : nullptr;
    if (role) out_.send_role(node, role_message(id, role, r.epoch));
  }
}

void ControllerCore::on_agent_hello(const NodeId& node, const wire::NodeFacts& facts, TimeMs now) {
  auto& a = agents_[node];
  a.connected = true;
  a.hostname = facts.hostname();
  a.version = facts.agent_version();
  a.os = facts.os();
  a.last_heard_ms = now;
  // A restarted agent re-learns its roles (and the monitors of the rules it runs).
  send_roles_to(node);
}

void ControllerCore::on_agent_closed(const NodeId& node) {
  if (auto it = agents_.find(node); it != agents_.end()) it->second.connected = false;
}

void ControllerCore::on_heartbeat(const NodeId& node, const wire::Heartbeat& hb, TimeMs now) {
  AgentInfo& agent = agents_[node];
  agent.last_heard_ms = now;
  if (!engine_.state().nodes.count(node)) {
    agent.last_heartbeat = hb;  // connected but not (yet) configured: kept for operator_command
    return;
  }
  // Every agent heartbeats several times a second: build the engine event only when
  // there is news for the engine.
  const bool became_up = liveness_.heard(node, now);
  // The addresses a node holds can also change without a result saying so (its
  // isolation release, a report queued in TCP while its cable was out, an operator's
  // hand): the engine must see what the node really holds, or it keeps releasing there
  // and never counts the node idle. (The engine ignores reports older than its newest
  // result from that node.)
  if (became_up || !same_addresses(hb, engine_.state().nodes.at(node).held_vips)) {
    rules::NodeReachable e{node, now, {hb.subnets().begin(), hb.subnets().end()},
                           {hb.held_vips().begin(), hb.held_vips().end()}, hb.actions_done()};
    if (became_up) {
      out_.arbiter_heard(node);
      history_.record({.kind = "node:reachable", .node = node, .outcome = "up",
                       .detail = "holds " + std::to_string(hb.held_vips_size()) + " VIPs"});
    }
    (void)commit(e);
  }
  report_monitors(node, hb, now);
}

void ControllerCore::report_monitors(const NodeId& node, const wire::Heartbeat& hb, TimeMs now) {
  // Per rule (and "" for the node): healthy only if all its monitors are.
  std::map<std::string, std::pair<bool, std::string>> by_rule;
  for (const auto& m : hb.monitors()) {
    auto& [healthy, detail] = by_rule.try_emplace(m.rule(), true, "").first->second;
    if (!m.healthy()) {
      healthy = false;
      if (!detail.empty()) detail += "; ";
      detail += m.name() + ": " + m.detail();
    }
  }
  // Monitors that disappeared (role changed) count as healthy again.
  for (auto it = monitor_state_.lower_bound({node, ""}); it != monitor_state_.end() && it->first.first == node; ++it)
    by_rule.try_emplace(it->first.second, true, "");
  for (const auto& [rule, hd] : by_rule) {
    auto key = std::make_pair(node, rule);
    auto it = monitor_state_.find(key);
    const bool known_healthy = it == monitor_state_.end() ? true : it->second;
    if (known_healthy == hd.first) {
      monitor_state_[key] = hd.first;
      continue;
    }
    monitor_state_[key] = hd.first;
    history_.record({.kind = "monitor", .rule = rule, .node = node, .outcome = hd.first ? "healthy" : "failed",
                     .detail = hd.second});
    (void)commit(rules::MonitorReport{node, rule, hd.first, hd.second, now});
  }
}

void ControllerCore::on_result(const NodeId& node, const wire::CommandResult& r, TimeMs now) {
  auto it = pending_.find(r.action_id());
  // Only the node an action was sent to may answer it, and only once: a result from
  // anyone else (or for an action already timed out) must not move a transition on.
  if (it == pending_.end() || it->second.node != node) {
    spdlog::warn("result of action {} from {} ignored: {}", r.action_id(), node,
                 it == pending_.end() ? "not waiting for it (timed out or answered)" : "sent to " + it->second.node);
    return;
  }
  {
    std::string detail = r.detail();
    if (!r.script_output().empty()) detail += " | output: " + r.script_output().substr(0, 1024);
    (void)history_.complete(it->second.history_id, outcome_name(r.outcome()), r.duration_ms(), detail);
    pending_.erase(it);
  }
  spdlog::info("result of action {} from {}: {} ({} ms) {}", r.action_id(), node, outcome_name(r.outcome()),
               r.duration_ms(), r.detail());
  (void)commit(rules::ActionResult{r.action_id(), node, outcome_of(r.outcome()), r.vips_removed(), r.detail(), now});
}

void ControllerCore::on_arbiter_answer(const NodeId& node, bool reachable, bool sees, int64_t ms_since_heard, TimeMs now) {
  const TimeMs last = ms_since_heard < 0 ? 0 : now - ms_since_heard;
  history_.record({.kind = "arbiter:answer", .node = node,
                   .outcome = !reachable ? "arbiter-unreachable" : sees ? "sees" : "not-seen",
                   .detail = reachable ? "last heard " + std::to_string(ms_since_heard) + " ms ago" : ""});
  (void)commit(rules::ArbiterView{node, now, reachable, sees, last});
}

void ControllerCore::on_arbiter_link(bool up, TimeMs now) {
  if (engine_.state().arbiter_reachable == up) return;
  history_.record({.kind = "arbiter:link", .outcome = up ? "up" : "down"});
  (void)commit(rules::ArbiterView{"", now, up, false, 0});
}

void ControllerCore::on_timer(TimeMs now, int minute_of_day) {
  now = std::max(now, last_now_);
  for (const auto& lost : liveness_.expire(now)) {
    if (!engine_.state().nodes.count(lost.node)) continue;
    history_.record({.kind = "node:unreachable", .node = lost.node, .outcome = "suspect",
                     .detail = "silent for " + std::to_string(now - lost.last_heard_ms) + " ms"});
    (void)commit(lost);
  }
  std::vector<uint64_t> expired;
  for (const auto& [id, p] : pending_)
    if (now >= p.deadline_ms) expired.push_back(id);
  for (uint64_t id : expired) {
    Pending p = pending_.at(id);
    pending_.erase(id);
    (void)history_.complete(p.history_id, "timed-out", now - p.sent_ms, "no result from " + p.node);
    (void)commit(rules::ActionResult{id, "", rules::ActionOutcome::TimedOut, false, "no result from " + p.node, now});
  }
  (void)commit(rules::Tick{now, minute_of_day});
}

TimeMs ControllerCore::next_deadline(TimeMs now) const {
  // Only moments still ahead: one already past was handled (or is not the timer's to
  // handle), and waking for it again would spin.
  TimeMs next = liveness_.next_expiry();
  if (next <= now) next = 0;
  for (const auto& [id, t] : engine_.state().transitions)
    if (t.waiting_action == 0 && t.not_before_ms > now && (next == 0 || t.not_before_ms < next)) next = t.not_before_ms;
  return next;
}

Status ControllerCore::operator_command(rules::Event e, const std::string& actor) {
  auto st = commit(e, actor);
  if (!st.ok()) return st;
  // The command without its (long) spec: what and which object, readable in a table.
  rules::Json what = rules::to_json(e);
  if (what.contains("spec") && what["spec"].contains("id")) what["spec"] = what["spec"]["id"];
  what.erase("type");
  what.erase("now");
  history_.record({.kind = std::string("operator:") + rules::event_name(e), .outcome = "ok",
                   .detail = what.dump().substr(0, 512), .actor = actor});
  // A node whose agent is already heartbeating is up now, not at its next heartbeat:
  // otherwise rules applied right after their nodes would be placed on whichever
  // node happened to heartbeat first instead of their home.
  if (const auto* up = std::get_if<rules::UpsertNode>(&e)) {
    auto a = agents_.find(up->spec.id);
    if (a != agents_.end() && a->second.connected && !liveness_.is_up(up->spec.id) &&
        last_now_ - a->second.last_heard_ms < engine_.state().settings.suspect_after_ms) {
      const wire::Heartbeat hb = a->second.last_heartbeat;
      on_heartbeat(up->spec.id, hb, std::max(last_now_, a->second.last_heard_ms));
    }
  }
  return st;
}

}  // namespace poolha::controller
