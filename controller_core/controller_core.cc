#include "controller_core/controller_core.h"

#include <spdlog/spdlog.h>

#include "common/json_text.h"
#include "common/utf8.h"
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
    case wire::CommandResult::REFUSED: return "refused";
    default: return "unknown";
  }
}

// The wire form of an acquire or release (the agent's view of one step).
wire::Command command_message(const rules::Action& a, const rules::AgentCommand& cmd, uint64_t term) {
  wire::Command c;
  c.set_action_id(cmd.action_id);
  c.set_term(term);
  c.set_epoch(cmd.epoch);
  c.set_rule(cmd.rule);
  c.set_kind(cmd.acquire ? wire::Command::ACQUIRE : wire::Command::RELEASE);
  for (const auto& v : cmd.vips) {
    auto* w = c.add_vips();
    w->set_cidr(v.cidr);
    w->set_interface(v.interface);
  }
  if (const auto* acq = std::get_if<rules::Acquire>(&a)) {
    c.set_script(acq->script);
    c.set_old_node(acq->old_node);
    c.set_new_node(acq->node);
    c.set_script_timeout_ms(acq->script_timeout_ms);
  } else if (const auto* rel = std::get_if<rules::Release>(&a)) {
    c.set_script(rel->script);
    c.set_old_node(rel->node);
    c.set_new_node(rel->new_node);
    c.set_script_timeout_ms(rel->script_timeout_ms);
  }
  return c;
}

}  // namespace

ControllerCore::ControllerCore(ReplicatedLog& log, EventHistory& history, Outbox& out, rules::Settings initial)
    : log_(log), history_(history), out_(out), initial_(std::move(initial)), liveness_(rules::Settings{}.suspect_after_ms) {}

void ControllerCore::restore(const CoreSnapshot& snapshot, uint64_t index) {
  engine_ = rules::Engine(snapshot.engine);
  access_ = access::AccessControl(snapshot.access);
  configured_vips_stale_ = true;
  applied_index_ = last_snapshot_ = index;
  last_now_ = std::max(last_now_, snapshot.engine.clock_ms);
  liveness_.set_suspect_after(engine_.state().settings.suspect_after_ms);
  if (audit_store_ && audit_store_->last_seq() < access_.state().audit.seq)
    spdlog::warn("audit trail: this member holds records up to {}, the snapshot's chain reaches {}; the records "
                 "between are on the other members (poolhactl audit verify names the gap)",
                 audit_store_->last_seq(), access_.state().audit.seq);
}

void ControllerCore::apply_committed(uint64_t index, uint64_t term, const LogEntry& e, TimeMs local_now) {
  queue_.push_back({index, term, e, local_now});
  drain();
}

// Entries are applied one at a time, in order, also when applying one leads to more
// proposals (a log that commits at once hands them back from inside propose).
void ControllerCore::drain() {
  if (draining_) return;
  draining_ = true;
  while (!queue_.empty()) {
    Committed c = std::move(queue_.front());
    queue_.pop_front();
    apply_one(c);
  }
  draining_ = false;
}

void ControllerCore::apply_one(const Committed& c) {
  if (c.index <= applied_index_) return;  // replayed twice after a restart
  applied_index_ = c.index;
  Status outcome = Status::Ok();
  std::optional<rules::Decision> decision;
  if (const rules::Event* ev = c.entry.event()) {
    if (const TimeMs t = event_time(*ev); t > 0) {
      // Follow the leader's frame: its clock was at least `t` when we apply this.
      if (!frame_offset_ || c.term > frame_term_) frame_offset_ = t - c.local_now, frame_term_ = c.term;
      else frame_offset_ = std::max(*frame_offset_, t - c.local_now);
      last_now_ = std::max(last_now_, t);
    }
    decision = engine_.apply(*ev);
    if (std::holds_alternative<rules::UpsertRule>(*ev) || std::holds_alternative<rules::DeleteRule>(*ev))
      configured_vips_stale_ = true;
    if (std::holds_alternative<rules::SetSettings>(*ev))
      liveness_.set_suspect_after(engine_.state().settings.suspect_after_ms);
    if (!decision->ok()) outcome = Status::Error(decision->rejected);
    if (c.entry.by) audit_event(*ev, *c.entry.by, outcome);
  } else {
    outcome = apply_access(*c.entry.change(), c.entry.by.value_or(access::Actor{}));
  }
  auto w = waiters_.find(c.index);
  if (w != waiters_.end()) {
    Waiter waiter = std::move(w->second);
    waiters_.erase(w);
    Status st = waiter.term != c.term ? Status::Error("lost in a change of active controller; not applied, send it again")
                                      : outcome;
    record_operator(waiter.entry, st);
    waiter.done(st);
  }
  if (!acting_ && leads_) {
    const auto* set_term = c.entry.event() ? std::get_if<rules::SetTerm>(c.entry.event()) : nullptr;
    if (set_term && set_term->term == leader_term_ && engine_.state().term == leader_term_) become_acting(c.local_now);
  } else if (acting_ && decision && decision->ok()) {
    carry_out(*decision, cluster_now(c.local_now));
  }
  if (c.index - last_snapshot_ >= snapshot_every_) {
    log_.compact(c.index, CoreSnapshot{engine_.state(), access_.state()});
    last_snapshot_ = c.index;
  }
}

Status ControllerCore::apply_access(const access::Change& c, const access::Actor& by) {
  auto applied = access_.apply(c, by);
  store_audit(applied.records);
  return applied.status;
}

void ControllerCore::audit_event(const rules::Event& e, const access::Actor& by, const Status& st) {
  // The target the way an auditor reads it: "rule gw1", "node h3", "pool p1".
  rules::Json j = rules::to_json(e);
  std::string target;
  for (const char* k : {"rule", "node", "pool", "serial"})
    if (j.contains(k) && j[k].is_string() && !j[k].get<std::string>().empty()) target = std::string(k) + " " + j[k].get<std::string>();
  if (const auto* d = std::get_if<rules::DeleteTemplate>(&e)) target = "template " + d->template_id;
  if (j.contains("spec") && j["spec"].contains("id")) {
    const char* kind = std::holds_alternative<rules::UpsertRule>(e) ? "rule "
                       : std::holds_alternative<rules::UpsertNode>(e) ? "node "
                       : std::holds_alternative<rules::UpsertPool>(e) ? "pool "
                       : std::holds_alternative<rules::UpsertTemplate>(e) ? "template " : "";
    target = kind + j["spec"]["id"].get<std::string>();
  }
  std::string detail;
  if (const auto* sw = std::get_if<rules::Switchover>(&e))
    detail = (sw->forced ? "forced" : "") + std::string(sw->target.empty() ? "" : (sw->forced ? ", to " : "to ") + sw->target);
  if (const auto* f = std::get_if<rules::Freeze>(&e)) detail = f->on ? "on" : "off";
  if (const auto* m = std::get_if<rules::SetMaintenance>(&e)) detail = m->on ? "on" : "off";
  store_audit({access_.record(by, rules::event_name(e), target, st.ok() ? "ok" : "refused: " + st.error(), detail)});
}

void ControllerCore::store_audit(const std::vector<access::AuditRecord>& records) {
  if (!audit_store_) return;
  for (const auto& r : records)
    if (auto st = audit_store_->append(r); !st.ok()) spdlog::error("audit trail: record {}: {}", r.seq, st.error());
}

void ControllerCore::set_leader(bool leads, uint64_t term, TimeMs local_now) {
  if (leads == leads_ && term == leader_term_) return;
  leads_ = leads;
  leader_term_ = term;
  set_term_proposed_ = false;
  if (!leads) {
    if (acting_) {
      history_.record({.kind = "controller:standby", .outcome = "ok", .detail = "no longer the active controller"});
      spdlog::warn("no longer the active controller (term {})", term);
    }
    acting_ = false;
    pending_.clear();
    // Proposals not yet committed may still commit under the next leader, or be
    // dropped: their callers cannot know which, so they are told to check.
    for (auto& [idx, w] : waiters_) {
      record_operator(w.entry, Status::Error("active controller changed"));
      w.done(Status::Error("the active controller changed before this command committed; check the state and send it again if it is missing"));
    }
    waiters_.clear();
    return;
  }
  last_local_now_ = std::max(last_local_now_, local_now);
  // A fresh cluster gets its settings first.
  if (applied_index_ == 0) (void)log_.propose(rules::SetSettings{initial_});
  propose_set_term();
  drain();
}

// Acting starts when this term's SetTerm applies; a refused proposal (a leadership
// transfer in progress) is tried again on the timer, or this leader would never act.
void ControllerCore::propose_set_term() {
  auto r = log_.propose(rules::SetTerm{leader_term_});
  set_term_proposed_ = r.ok();
  if (!r.ok()) spdlog::warn("cannot start term {} yet: {}", leader_term_, r.error());
}

void ControllerCore::become_acting(TimeMs local_now) {
  acting_ = true;
  // No entry has told us the leader's frame (everything we hold came in a snapshot):
  // start the cluster clock where the state's clock stands, which is behind the true
  // one, so deadlines computed before can only come late, never early.
  if (!frame_offset_) frame_offset_ = last_now_ - local_now;
  const TimeMs now = cluster_now(local_now);
  // The old leader's lease ended before we were elected, so nothing vouched for an
  // agent on its behalf after this moment.
  acting_since_ = now;
  // Nodes the engine believes up but that we have not heard ourselves (their session
  // to us is new, or we just restarted) get a grace period instead of being declared
  // lost for the silence of the switch. Agents retry with a backoff of up to 1 s.
  constexpr TimeMs kAgentRetryMaxMs = 1000;
  for (const auto& [id, n] : engine_.state().nodes)
    if (n.liveness == rules::Liveness::Up && !liveness_.is_up(id))
      liveness_.assume_up(id, local_now, engine_.state().settings.suspect_after_ms + kAgentRetryMaxMs);
  const auto in_flight = engine_.in_flight_actions();
  for (const auto& a : in_flight) send_action(a, now);
  // What an operator forced while there was no quorum becomes part of the log now, so
  // the engine agrees with where the services are instead of moving them back.
  for (const auto& [rule, target] : overridden_) {
    auto it = engine_.state().rules.find(rule);
    if (it == engine_.state().rules.end() || it->second.primary == target) continue;
    // The audit trail gets it now, in the operator's name, with what was done.
    access::Actor by = override_actors_.count(rule) ? override_actors_.at(rule) : access::Actor{.account = "system"};
    by.reason = "no-quorum override carried out earlier: " + by.reason;
    (void)submit(LogEntry(rules::Switchover{rule, target, true, now}, by));
    history_.record({.kind = "override:committed", .rule = rule, .node = target, .outcome = "proposed",
                     .detail = "the no-quorum override goes into the log"});
  }
  overridden_.clear();
  override_actors_.clear();
  override_engine_.reset();
  override_pending_.clear();
  for (const auto& [id, a] : agents_)
    if (a.connected) send_roles_to(id);
  history_.record({.kind = "controller:active", .outcome = "ok",
                   .detail = "term " + std::to_string(engine_.state().term) + ", " + std::to_string(in_flight.size()) +
                             " in-flight actions resent"});
  spdlog::info("active controller for term {} ({} in-flight actions resent)", engine_.state().term, in_flight.size());
}

Expected<uint64_t> ControllerCore::submit(const LogEntry& e) {
  if (!acting_) return Expected<uint64_t>::Error("this controller is not the active one");
  auto idx = log_.propose(e);
  if (!idx.ok()) spdlog::error("{}: not proposed: {}", e.name(), idx.error());
  return idx;
}

void ControllerCore::carry_out(const rules::Decision& d, TimeMs now) {
  for (const auto& a : d.actions) send_action(a, now);
}

void ControllerCore::send_action(const rules::Action& a, TimeMs now) {
  if (auto cmd = rules::agent_command(a)) {
    const wire::Command c = command_message(a, *cmd, engine_.state().term);
    const TimeMs script_timeout = c.script_timeout_ms();
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
      // An event of its own, applied after this decision, in order.
      (void)submit(rules::ActionResult{cmd->action_id, "", rules::ActionOutcome::Unreachable, false,
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
    if (alert->severity == rules::Severity::Critical) spdlog::critical("ALERT {} {}", alert->code, text::log_safe(alert->message, 1024));
    else spdlog::warn("alert {} {}", alert->code, text::log_safe(alert->message, 1024));
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
  m.set_term(engine_.state().term);
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

void ControllerCore::on_agent_hello(const NodeId& node, const wire::NodeFacts& facts, TimeMs local_now) {
  ++agents_version_;
  auto& a = agents_[node];
  a.connected = true;
  // What an agent says about itself is shown to operators: bounded, one line each.
  constexpr size_t kMaxFactBytes = 128, kMaxFactItems = 64;
  auto list = [&](const auto& items) {
    std::vector<std::string> out;
    for (const auto& s : items)
      if (out.size() < kMaxFactItems) out.push_back(text::log_safe(s, kMaxFactBytes));
    return out;
  };
  a.hostname = text::log_safe(facts.hostname(), kMaxFactBytes);
  a.version = text::log_safe(facts.agent_version(), kMaxFactBytes);
  a.os = text::log_safe(facts.os(), kMaxFactBytes);
  a.addresses.clear();
  for (const auto& i : facts.interfaces())
    for (const auto& addr : i.addresses())
      if (a.addresses.size() < 4 * kMaxFactItems) a.addresses.push_back(text::log_safe(addr, kMaxFactBytes));
  a.vip_subnets = list(facts.vip_subnets());
  a.vip_interfaces = list(facts.vip_interfaces());
  a.last_heard_ms = cluster_now(local_now);
  // A restarted agent re-learns its roles (and the monitors of the rules it runs).
  if (acting_) send_roles_to(node);
}

void ControllerCore::on_agent_closed(const NodeId& node) {
  ++agents_version_;
  if (auto it = agents_.find(node); it != agents_.end()) it->second.connected = false;
}

const std::set<std::string>& ControllerCore::configured_vips() {
  if (configured_vips_stale_) {
    configured_vips_.clear();
    for (const auto& [id, r] : engine_.state().rules)
      for (const auto& v : r.spec.vips) configured_vips_.insert(v.cidr);
    configured_vips_stale_ = false;
  }
  return configured_vips_;
}

void ControllerCore::refuse_report(const NodeId& node, AgentInfo& agent, const std::string& why, TimeMs local_now) {
  ++agent.refused_reports;
  agent.last_refusal = why;
  if (!agent.refusal_alerts.allow(local_now)) return;
  spdlog::warn("agent {}: report refused: {} ({} refused so far)", node, why, agent.refused_reports);
  history_.record({.kind = "alert:agent_report_refused", .node = node, .outcome = "warning",
                   .detail = node + " sent a report with " + why + "; nothing it reports enters the state until its "
                             "reports fit (" + std::to_string(agent.refused_reports) + " refused so far)"});
}

void ControllerCore::on_heartbeat(const NodeId& node, const wire::Heartbeat& hb, TimeMs local_now) {
  const TimeMs now = cluster_now(local_now);
  AgentInfo& agent = agents_[node];
  agent.last_heard_ms = now;
  auto ns = engine_.state().nodes.find(node);
  if (ns == engine_.state().nodes.end()) {
    // Connected but not (yet) configured: kept for operator_command, if it is sane.
    if (report_violation(hb, 0).empty()) agent.last_heartbeat = hb;
    return;
  }
  // Every member keeps its own liveness view (warm for a switch); only the acting one
  // turns it into events. Every agent heartbeats several times a second: build the
  // engine event only when there is news for the engine.
  last_local_now_ = std::max(last_local_now_, local_now);
  const bool became_up = liveness_.heard(node, local_now);
  if (!acting_) return;
  // The monitor bound depends on how many rules the node runs; counted only when the
  // report has more monitors than any node-level set (this runs for every heartbeat).
  size_t primary_rules = 0;
  if (static_cast<size_t>(hb.monitors_size()) > kMaxNodeMonitors)
    for (const auto& [id, r] : engine_.state().rules) primary_rules += r.primary == node;
  if (std::string why = report_violation(hb, primary_rules); !why.empty()) return refuse_report(node, agent, why, local_now);
  // Only addresses some rule names mean anything to the engine.
  const auto& known = configured_vips();
  std::set<std::string> held;
  for (const auto& v : hb.held_vips())
    if (known.count(v)) held.insert(v);
  // News: the node just became reachable (to us, or in the engine's view: a new
  // leader may hear a node its predecessor had lost), or the addresses it holds
  // changed without a result saying so (its isolation release, a report queued in TCP
  // while its cable was out, an operator's hand). The engine ignores reports older
  // than its newest result from that node.
  const bool engine_thinks_down = ns->second.liveness != rules::Liveness::Up;
  const bool news_of_life = became_up || engine_thinks_down;
  // A change of addresses alone waits for the node's report budget (a later heartbeat
  // carries it again); news of life never waits.
  if (news_of_life || (held != ns->second.held_vips && agent.budget.take(local_now))) {
    // An agent cannot have completed an action nobody issued.
    const uint64_t done = std::min<uint64_t>(hb.actions_done(), engine_.state().next_action_id);
    rules::NodeReachable e{node, now, {hb.subnets().begin(), hb.subnets().end()}, {held.begin(), held.end()}, done};
    if (news_of_life) {
      out_.arbiter_heard(node);
      history_.record({.kind = "node:reachable", .node = node, .outcome = "up",
                       .detail = "holds " + std::to_string(held.size()) + " VIPs"});
    }
    (void)submit(e);
  }
  report_monitors(node, agent, hb, now, local_now);
}

void ControllerCore::report_monitors(const NodeId& node, AgentInfo& agent, const wire::Heartbeat& hb, TimeMs now,
                                     TimeMs local_now) {
  constexpr size_t kMaxRuleDetailBytes = 2048;
  // Per rule (and "" for the node): healthy only if all its monitors are. Monitors of
  // rules the engine does not know are dropped here, before anything is logged.
  const auto& rules = engine_.state().rules;
  std::map<std::string, std::pair<bool, std::string>> by_rule;
  for (const auto& m : hb.monitors()) {
    if (!m.rule().empty() && !rules.count(m.rule())) continue;
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
  const auto& failing = engine_.state().nodes.at(node).failing_rules;
  for (auto& [rule, hd] : by_rule) {
    auto key = std::make_pair(node, rule);
    auto it = monitor_state_.find(key);
    // Compared with what the engine knows as well: a new leader reports what its
    // predecessor had not yet committed.
    const bool known_healthy = it == monitor_state_.end() ? !failing.count(rule) : it->second;
    if (known_healthy == hd.first && failing.count(rule) == !hd.first) {
      monitor_state_[key] = hd.first;
      continue;
    }
    if (!agent.budget.take(local_now)) continue;  // a later heartbeat reports it again
    if (!rule.empty() && !rules.count(rule)) {
      monitor_state_.erase(key);  // the rule is gone: nothing to report about it
      continue;
    }
    monitor_state_[key] = hd.first;
    hd.second = text::truncate_utf8(hd.second, kMaxRuleDetailBytes, "...");
    history_.record({.kind = "monitor", .rule = rule, .node = node, .outcome = hd.first ? "healthy" : "failed",
                     .detail = hd.second});
    (void)submit(rules::MonitorReport{node, rule, hd.first, hd.second, now});
  }
}

void ControllerCore::on_result(const NodeId& node, const wire::CommandResult& r, TimeMs local_now) {
  if (auto o = override_pending_.find(r.action_id()); o != override_pending_.end() && o->second == node) {
    override_pending_.erase(o);
    history_.record({.kind = "override:result", .node = node, .outcome = outcome_name(r.outcome()),
                     .detail = "action " + std::to_string(r.action_id()) + " " + r.detail()});
    carry_out_override(override_engine_->apply(rules::ActionResult{r.action_id(), node, outcome_of(r.outcome()),
                                                                   r.vips_removed(), r.detail(), cluster_now(local_now)}),
                       cluster_now(local_now));
    return;
  }
  auto it = pending_.find(r.action_id());
  // Only the node an action was sent to may answer it, and only once: a result from
  // anyone else (or for an action already timed out) must not move a transition on.
  if (it == pending_.end() || it->second.node != node) {
    spdlog::warn("result of action {} from {} ignored: {}", r.action_id(), node,
                 it == pending_.end() ? "not waiting for it (timed out, answered, or not the active controller)"
                                      : "sent to " + it->second.node);
    return;
  }
  const Pending asked = it->second;
  {
    std::string detail = r.detail();
    if (!r.script_output().empty()) detail += " | output: " + text::truncate_utf8(r.script_output(), 1024, "...");
    (void)history_.complete(it->second.history_id, outcome_name(r.outcome()), r.duration_ms(), detail);
    pending_.erase(it);
  }
  spdlog::info("result of action {} from {}: {} ({} ms) {}", r.action_id(), node, outcome_name(r.outcome()),
               r.duration_ms(), text::log_safe(r.detail()));
  // The host's own policy said no (agent.yaml): the rule or the host's config is
  // wrong, and only an operator can fix either; the engine moves on to the next node.
  if (r.outcome() == wire::CommandResult::REFUSED)
    history_.record({.kind = "alert:vip_refused", .rule = asked.rule, .node = node, .outcome = "warning",
                     .detail = node + " refused " + asked.rule + ": " + r.detail()});
  // The agent has seen a newer term than ours: only a cluster recovered from an older
  // database gets here, and no agent obeys it until the term catches up.
  if (r.outcome() == wire::CommandResult::STALE && r.agent_term() > engine_.state().term)
    history_.record({.kind = "alert:agent_term_ahead", .node = node, .outcome = "critical",
                     .detail = node + " has seen term " + std::to_string(r.agent_term()) + ", newer than this cluster's " +
                               std::to_string(engine_.state().term) + ", and ignores its commands: was the cluster "
                               "recovered from an older database? Recover again with `poolhactl cluster recover "
                               "--term-above " + std::to_string(r.agent_term()) + "` (a single controller whose "
                               "database was replaced: stop the agents and remove their state_dir/agent-state.json)"});
  // Not proposed (a leadership transfer under way): keep waiting for it, so its
  // time-out moves the transition on instead of it being stuck.
  if (!submit(rules::ActionResult{r.action_id(), node, outcome_of(r.outcome()), r.vips_removed(), r.detail(),
                                  cluster_now(local_now)}).ok())
    pending_[r.action_id()] = asked;
}

void ControllerCore::on_arbiter_answer(const NodeId& node, bool reachable, bool sees, int64_t ms_since_heard,
                                       TimeMs local_now) {
  if (!acting_) return;
  const TimeMs now = cluster_now(local_now);
  TimeMs last = reachable && ms_since_heard >= 0 ? now - ms_since_heard : 0;
  // Who else may have renewed the node's lease, even if nobody can tell us now: the
  // previous active controller (its lease ended before ours began), and an arbiter
  // we cannot reach (until its last grant from us ran out).
  last = std::max(last, acting_since_);
  // An arbiter we cannot ask may vouch for kVouchGrantMs after the last grant it got,
  // ours or (until our term began) our predecessor's.
  if (!reachable) last = std::max(last, std::max(last_grant_, acting_since_) + kVouchGrantMs);
  history_.record({.kind = "arbiter:answer", .node = node,
                   .outcome = !reachable ? "arbiter-unreachable" : sees ? "sees" : "not-seen",
                   .detail = reachable ? "last heard " + std::to_string(ms_since_heard) + " ms ago" : ""});
  (void)submit(rules::ArbiterView{node, now, reachable, sees, last});
}

void ControllerCore::on_arbiter_link(bool up, TimeMs local_now) {
  if (!acting_ || engine_.state().arbiter_reachable == up) return;
  history_.record({.kind = "arbiter:link", .outcome = up ? "up" : "down"});
  (void)submit(rules::ArbiterView{"", cluster_now(local_now), up, false, 0});
}

void ControllerCore::on_timer(TimeMs local_now, int minute_of_day) {
  last_local_now_ = std::max(last_local_now_, local_now);
  if (leads_ && !acting_ && !set_term_proposed_) propose_set_term();
  for (const auto& m : sightings_.expire(local_now)) refresh_sighting_alerts(m, local_now);
  if (!acting_) return;  // a standby's silence tracker keeps running in on_heartbeat
  const TimeMs now = cluster_now(local_now);
  if (out_.grant_vouching()) last_grant_ = now;
  for (auto lost : liveness_.expire(local_now)) {
    if (!engine_.state().nodes.count(lost.node)) continue;
    const TimeMs local_last = lost.last_heard_ms;
    lost.now = now;
    lost.last_heard_ms = local_last + (now - local_now);  // into cluster time
    if (!submit(lost).ok()) {
      liveness_.assume_up(lost.node, local_last);  // not proposed: reported again next time
      continue;
    }
    history_.record({.kind = "node:unreachable", .node = lost.node, .outcome = "suspect",
                     .detail = "silent for " + std::to_string(local_now - local_last) + " ms"});
  }
  std::vector<uint64_t> expired;
  for (const auto& [id, p] : pending_)
    if (now >= p.deadline_ms) expired.push_back(id);
  for (uint64_t id : expired) {
    const Pending p = pending_.at(id);
    if (!submit(rules::ActionResult{id, "", rules::ActionOutcome::TimedOut, false, "no result from " + p.node, now}).ok())
      continue;  // stays pending: timed out again next tick
    pending_.erase(id);
    (void)history_.complete(p.history_id, "timed-out", now - p.sent_ms, "no result from " + p.node);
  }
  (void)submit(rules::Tick{now, minute_of_day});
}

void ControllerCore::on_member_sightings(const std::string& member, const std::vector<NodeId>& unheard,
                                         TimeMs local_now) {
  // Only configured nodes count: anything else a member names is dropped, so a report
  // cannot grow the table beyond the cluster's own size.
  std::vector<NodeId> known;
  for (const auto& n : unheard)
    if (engine_.state().nodes.count(n)) known.push_back(n);
  if (auto changes = sightings_.report(member, known, local_now); !changes.ok()) {
    spdlog::warn("{}; report ignored", changes.error());
    return;
  }
  refresh_sighting_alerts(member, local_now);
}

// The alerts follow the member's whole current set, not only its changes: a report that
// arrived before we acted, or about a node we did not hear yet, is alerted on the next
// report (every 2 s) once it matters.
void ControllerCore::refresh_sighting_alerts(const std::string& member, TimeMs local_now) {
  const std::set<NodeId>* set = sightings_.unheard_of(member);
  if (acting_ && set)
    for (const auto& node : *set) {
      // News only while we act and hear the node ourselves (a real heartbeat, not the
      // grace given at a switch): a node everyone lost is node:unreachable's news.
      auto a = agents_.find(node);
      const bool we_hear = a != agents_.end() && liveness_.is_up(node) &&
                           cluster_now(local_now) - a->second.last_heard_ms < engine_.state().settings.suspect_after_ms;
      if (!we_hear || !sighting_alerts_.insert({member, node}).second) continue;
      history_.record({.kind = "alert:node_unheard_by_member", .node = node, .outcome = "warning",
                       .detail = member + " no longer hears " + node + " (the active controller does): check the network " +
                                 "between them; if the active controller failed now, " + member + " would find it silent"});
    }
  for (auto it = sighting_alerts_.lower_bound({member, ""}); it != sighting_alerts_.end() && it->first == member;) {
    if (set && set->count(it->second)) {
      ++it;
      continue;
    }
    if (set)  // heard again (a member that stopped reporting is dropped silently)
      history_.record({.kind = "alert:node_heard_by_member", .node = it->second, .outcome = "info",
                       .detail = member + " hears " + it->second + " again"});
    it = sighting_alerts_.erase(it);
  }
}

std::vector<NodeId> ControllerCore::unheard_nodes(TimeMs local_now, TimeMs never_heard_after) const {
  const TimeMs suspect_after = engine_.state().settings.suspect_after_ms;
  std::vector<NodeId> out;
  for (const auto& [id, n] : engine_.state().nodes) {
    const TimeMs last = liveness_.last_heard(id);  // 0: never heard
    if (last == 0 ? local_now >= never_heard_after : local_now - last >= suspect_after) out.push_back(id);
  }
  return out;
}

TimeMs ControllerCore::next_deadline(TimeMs local_now) const {
  if (!acting_) return 0;
  const TimeMs now = cluster_now(local_now);
  // Only moments still ahead: one already past was handled (or is not the timer's to
  // handle), and waking for it again would spin. Silences are in local time,
  // transitions' deadlines in cluster time.
  TimeMs next = liveness_.next_expiry();
  if (next <= local_now) next = 0;
  for (const auto& [id, t] : engine_.state().transitions) {
    const TimeMs at = t.not_before_ms - now + local_now;
    if (t.waiting_action == 0 && t.not_before_ms > now && (next == 0 || at < next)) next = at;
  }
  return next;
}

void ControllerCore::record_operator(const LogEntry& entry, const Status& st) {
  const std::string actor = entry.by ? entry.by->account : "";
  const rules::Event* e = entry.event();
  if (!e) {  // access changes: the audit trail has them; the history shows none of their secrets
    if (!std::holds_alternative<access::Note>(*entry.change()))
      history_.record({.kind = "operator:" + entry.name(), .outcome = st.ok() ? "ok" : "rejected",
                       .detail = st.ok() ? access::change_target(*entry.change(), access_.state()) : st.error(),
                       .actor = actor});
    return;
  }
  if (!st.ok()) {
    history_.record({.kind = std::string("operator:") + rules::event_name(*e), .outcome = "rejected",
                     .detail = st.error(), .actor = actor});
    return;
  }
  // The command without its (long) spec: what and which object, readable in a table.
  rules::Json what = rules::to_json(*e);
  if (what.contains("spec") && what["spec"].contains("id")) what["spec"] = what["spec"]["id"];
  what.erase("type");
  what.erase("now");
  history_.record({.kind = std::string("operator:") + rules::event_name(*e), .outcome = "ok",
                   .detail = text::truncate_utf8(json_text(what), 512, "..."), .actor = actor});
}

Status ControllerCore::check_vips_against_hosts(const rules::Event& e) const {
  const auto* up = std::get_if<rules::UpsertRule>(&e);
  if (!up) return Status::Ok();
  auto address = [](const std::string& cidr) { return cidr.substr(0, cidr.find('/')); };
  for (const auto& vip : up->spec.vips)
    for (const auto& [node, a] : agents_) {
      auto n = engine_.state().nodes.find(node);
      for (const auto& own : a.addresses) {
        if (address(own) != address(vip.cidr)) continue;
        // Unless it is there because that node holds it as a VIP now.
        const bool held = n != engine_.state().nodes.end() && n->second.held_vips.count(own);
        if (!held)
          return Status::Error("rule " + up->spec.id + ": VIP " + vip.cidr + " is the address of node " + node +
                               " (" + own + "); a VIP must be an address no host has of its own");
      }
    }
  return Status::Ok();
}

void ControllerCore::operator_command(LogEntry e, Done done) {
  if (!acting_) {
    done(Status::Error("this controller is standby: send the command to the active controller (the controller VIP)"));
    return;
  }
  if (!e.by) {
    done(Status::Error("internal: an operator command without its actor"));
    return;
  }
  if (const rules::Event* ev = e.event()) {
    if (auto st = check_vips_against_hosts(*ev); !st.ok()) {
      // Refused before the log: recorded in the audit trail all the same.
      (void)log_.propose(LogEntry(access::Note{rules::event_name(*ev), "", "refused: " + st.error(), ""}, *e.by));
      record_operator(e, st);
      done(st);
      return;
    }
  }
  // Registered before the entry can apply (a local log applies inside propose).
  const bool was_draining = draining_;
  draining_ = true;
  auto idx = log_.propose(e);
  draining_ = was_draining;
  if (!idx.ok()) {
    record_operator(e, idx.status());
    done(idx.status());
    return;
  }
  std::optional<rules::Event> copy;
  if (e.event()) copy = *e.event();
  waiters_.insert_or_assign(*idx, Waiter{leader_term_, std::move(e), [this, copy, done = std::move(done)](Status st) {
                              if (st.ok() && copy) after_operator_command(*copy);
                              done(std::move(st));
                            }});
  drain();
}

// A node whose agent is already heartbeating is up now, not at its next heartbeat:
// otherwise rules applied right after their nodes would be placed on whichever node
// happened to heartbeat first instead of their home.
void ControllerCore::after_operator_command(const rules::Event& e) {
  const auto* up = std::get_if<rules::UpsertNode>(&e);
  if (!up || !acting_) return;
  auto a = agents_.find(up->spec.id);
  if (a != agents_.end() && a->second.connected && !liveness_.is_up(up->spec.id) &&
      last_now_ - a->second.last_heard_ms < engine_.state().settings.suspect_after_ms) {
    const wire::Heartbeat hb = a->second.last_heartbeat;
    on_heartbeat(up->spec.id, hb, last_local_now_);
  }
}

Status ControllerCore::override_switch(const rules::RuleId& rule, const NodeId& target, const access::Actor& by,
                                       TimeMs local_now) {
  const std::string& actor = by.account;
  if (acting_) return Status::Error("this controller is active: use a normal forced switch (poolhactl force)");
  if (!override_pending_.empty()) return Status::Error("an override is still in progress; wait for its results");
  const TimeMs now = cluster_now(local_now);
  // A private copy of the engine whose action ids cannot meet the log's.
  rules::ClusterState copy = engine_.state();
  copy.next_action_id = (uint64_t{1} << 62) + (++overrides_started_ << 20);
  override_engine_ = std::make_unique<rules::Engine>(copy);
  rules::Decision d = override_engine_->apply(rules::Switchover{rule, target, true, now});
  if (!d.ok()) {
    record_operator(LogEntry(rules::Switchover{rule, target, true, now}, by), Status::Error(d.rejected));
    return Status::Error(d.rejected);
  }
  history_.record({.kind = "override:switchover", .rule = rule, .node = target, .outcome = "started",
                   .detail = "no quorum: forced switch carried out by this controller alone; the log does not hold it yet",
                   .actor = actor});
  spdlog::critical("OVERRIDE by {}: forced switch of {} to {} without quorum", actor, rule, target);
  overridden_[rule] = target;
  override_actors_[rule] = by;
  carry_out_override(d, now);
  if (override_pending_.empty())
    return Status::Error("the switch cannot start now (the primary may be unreachable: its isolation deadline must "
                         "pass first); nothing was sent");
  return Status::Ok();
}

void ControllerCore::carry_out_override(const rules::Decision& d, TimeMs now) {
  for (const auto& a : d.actions) {
    auto cmd = rules::agent_command(a);
    if (!cmd) continue;  // roles, consults and alerts wait for the log
    const wire::Command c = command_message(a, *cmd, engine_.state().term);
    history_.record({.kind = cmd->acquire ? "override:acquire" : "override:release", .rule = cmd->rule,
                     .node = cmd->node, .outcome = "sent", .detail = "action " + std::to_string(cmd->action_id)});
    if (out_.send_command(cmd->node, c)) override_pending_[cmd->action_id] = cmd->node;
    else
      carry_out_override(override_engine_->apply(rules::ActionResult{cmd->action_id, "", rules::ActionOutcome::Unreachable,
                                                                     false, "no session", now}),
                         now);
  }
}

}  // namespace poolha::controller
