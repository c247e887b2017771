// The controller's logic around the engine, with no sockets and no clock. Every
// control-plane member runs one: inputs (heartbeats, results, arbiter answers,
// operator commands, timer ticks) become engine events that the *acting* member
// proposes to the replicated log; every member applies what the log commits, in
// order, so all engines agree; only the acting member carries the decisions out
// (commands, roles, arbiter consults) through an Outbox. The I/O shell owns the
// sockets, the clock and the log; tests and the control-plane simulation drive this
// class directly.
//
// Acting: the shell says when this member leads (Raft leader holding its lease) and
// when it stops. A new leader first commits SetTerm{its Raft term}; it acts from the
// moment that entry applies (every earlier decision was the old leader's), resending
// the actions of in-flight transitions under their original ids and epochs.
//
// Time: callers pass their own monotonic clock in ms (`local_now`); the liveness
// tracker runs on it (silences are measured locally). The engine runs on cluster time,
// the acting member's frame: a member moves its frame forward to the
// time of every entry it applies, so a new leader's clock is never ahead of the old
// one's and deadlines the old leader computed (isolation deadlines) are never cut short.
#pragma once
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "access/access_control.h"
#include "common/log_throttle.h"
#include "controller_core/agent_report.h"
#include "controller_core/audit_store.h"
#include "controller_core/log_entry.h"
#include "controller_core/replicated_log.h"
#include "controller_core/event_history.h"
#include "controller_core/member_sightings.h"
#include "rules/engine.h"
#include "rules/liveness.h"
#include "wire/poolha.pb.h"
#include "wire/vouch_grant.h"

namespace poolha::controller {

using rules::NodeId;
using rules::TimeMs;

// Where the core's decisions go. Implemented by the network shell (and by tests).
class Outbox {
 public:
  virtual ~Outbox() = default;
  // False when the node has no open session (the action then counts as unreachable).
  virtual bool send_command(const NodeId& node, const wire::Command& c) = 0;
  virtual void send_role(const NodeId& node, const wire::RoleAssignment& r) = 0;
  // Asks the arbiter; the answer comes back through on_arbiter_answer (also when the
  // arbiter cannot be asked: reachable = false).
  virtual void consult_arbiter(const NodeId& node) = 0;
  // Lifts the arbiter's fence for a node the controller hears again.
  virtual void arbiter_heard(const NodeId& node) = 0;
  // Lets the arbiter vouch for agents (answer their heartbeats, which renews their
  // isolation lease) for kVouchGrantMs from when it receives this. Sent by the acting
  // member every timer tick: an arbiter cut off from the acting controller stops
  // vouching, so a takeover never waits on a lease it cannot see.
  // True if it went out (an arbiter we have no session with cannot get it, so its
  // grant is not extended and the isolation deadline need not wait for it).
  virtual bool grant_vouching() = 0;
};

using wire::kVouchGrantMs;

struct AgentInfo {
  bool connected = false;
  std::string hostname;
  std::string version;
  std::string os;
  TimeMs last_heard_ms = 0;
  wire::Heartbeat last_heartbeat;  // while unconfigured: so the node is up at once when configured
  std::vector<std::string> addresses;       // its interfaces' addresses at Hello ("198.18.1.5/24")
  std::vector<std::string> vip_subnets;     // its VIP policy (agent.yaml), as it reported it
  std::vector<std::string> vip_interfaces;
  // Reports refused for breaking a bound (agent_report.h), and the last reason.
  uint64_t refused_reports = 0;
  std::string last_refusal;
  ReportBudget budget;                    // proposals its reports may cause
  LogThrottle refusal_alerts{60'000};     // one alert a minute at most
};

class ControllerCore {
 public:
  ControllerCore(ReplicatedLog& log, EventHistory& history, Outbox& out, rules::Settings initial);

  // Log side (called by the shell, on every member).
  // The state of a snapshot the log restored (at start, or sent by the leader).
  void restore(const CoreSnapshot& snapshot, uint64_t index);
  // One committed entry; `term` is the log term it was proposed in.
  void apply_committed(uint64_t index, uint64_t term, const LogEntry& e, TimeMs local_now);
  // Where this member keeps the audit trail it applies (null: only the chain head in
  // the replicated state, as in the simulation).
  void set_audit_store(AuditStore* store) { audit_store_ = store; }
  // This member leads (with a valid lease) from now in `term`, or no longer leads.
  void set_leader(bool leads, uint64_t term, TimeMs local_now);
  // Acting: leading, and the SetTerm of this term is applied.
  bool acting() const { return acting_; }
  // Whether this member may answer agents' heartbeats (renew their leases) now.
  bool vouching() const { return acting_; }

  // Agent session events.
  void on_agent_hello(const NodeId& node, const wire::NodeFacts& facts, TimeMs local_now);
  void on_agent_closed(const NodeId& node);
  void on_heartbeat(const NodeId& node, const wire::Heartbeat& hb, TimeMs local_now);
  void on_result(const NodeId& node, const wire::CommandResult& r, TimeMs local_now);
  void on_arbiter_answer(const NodeId& node, bool reachable, bool sees, int64_t ms_since_heard, TimeMs local_now);
  // The link to the arbiter went up or down (news for operators before any failure).
  void on_arbiter_link(bool up, TimeMs local_now);
  // Liveness expiry, action time-outs, vouching grants and the engine's Tick.
  void on_timer(TimeMs local_now, int minute_of_day);
  // The earliest local time something is due: a node's silence reaching suspect_after,
  // or a transition waiting for a lost primary's isolation deadline. 0: nothing.
  TimeMs next_deadline(TimeMs local_now) const;

  // An operator command (UpsertRule, Switchover, ... or an access change) made by
  // `e.by` (REQUIRED: the audit trail records it). `done` gets Ok once the command is
  // committed and applied, or the engine's, the access state's or the log's reason
  // (nothing changed), or "not acting" on a standby. It may be called before this
  // returns.
  using Done = std::function<void(Status)>;
  void operator_command(LogEntry e, Done done);

  // No quorum (design §3.3: "manual actions remain possible"): an operator's forced switch
  // of `rule` to `target`, carried out by this member without the log, on a private copy
  // of the engine (action ids from a range the log never uses), and recorded in the event
  // history as an override. REQUIRES: the shell has checked there is no quorum. When this
  // member acts again it commits the same switch, so the log agrees with what was done.
  Status override_switch(const rules::RuleId& rule, const NodeId& target, const access::Actor& by, TimeMs local_now);
  // Overrides done without quorum that the log does not hold yet (rule -> target).
  const std::map<rules::RuleId, NodeId>& overrides() const { return overridden_; }

  const rules::ClusterState& state() const { return engine_.state(); }
  const access::AccessControl& access() const { return access_; }
  const std::map<NodeId, AgentInfo>& agents() const { return agents_; }
  // Counts changes to what agents said of themselves (sessions, facts, refusals), not
  // heartbeats: with log_index(), whether a view built from this core changed.
  uint64_t agents_version() const { return agents_version_; }
  uint64_t log_index() const { return applied_index_; }
  // The engine's (cluster) time for a local clock reading.
  // Without a frame yet (nothing applied that carries a time), it stands still at the
  // newest time known: a member's own clock may be far ahead of the cluster's.
  TimeMs cluster_now(TimeMs local_now) const {
    return frame_offset_ ? std::max(local_now + *frame_offset_, last_now_) : last_now_;
  }

  // Member sightings (member_sightings.h). On the leader: `member` reports the nodes it
  // does not hear (ids that are not configured nodes are dropped). While acting, a node
  // in a member's set that this member hears is recorded once as a warning alert
  // (alert:node_unheard_by_member), and its leaving the set as info.
  void on_member_sightings(const std::string& member, const std::vector<NodeId>& unheard, TimeMs local_now);
  // On every member: the configured nodes it does not hear at local_now, for its
  // report to the leader: silent for the suspect time, or never heard once local_now
  // reaches `never_heard_after` (agents connect with a backoff after a restart).
  std::vector<NodeId> unheard_nodes(TimeMs local_now, TimeMs never_heard_after) const;
  const MemberSightings& sightings() const { return sightings_; }

  // Snapshot cadence (entries between snapshots).
  void set_snapshot_every(uint64_t n) { snapshot_every_ = n; }

 private:
  struct Pending {
    NodeId node;
    rules::RuleId rule;
    bool acquire = false;
    TimeMs sent_ms = 0;
    TimeMs deadline_ms = 0;
    int64_t history_id = 0;
  };
  struct Waiter {
    uint64_t term = 0;
    LogEntry entry;
    Done done;
  };
  struct Committed {
    uint64_t index = 0;
    uint64_t term = 0;
    LogEntry entry;
    TimeMs local_now = 0;
  };

  // Proposes (acting only); the entry is applied when committed.
  Expected<uint64_t> submit(const LogEntry& e);
  void drain();
  void apply_one(const Committed& c);
  void become_acting(TimeMs now);
  void propose_set_term();
  void carry_out(const rules::Decision& d, TimeMs now);
  void send_action(const rules::Action& a, TimeMs now);
  void send_roles_to(const NodeId& node);
  wire::RoleAssignment role_message(const rules::RuleId& rule, const std::string& role, uint64_t epoch) const;
  void report_monitors(const NodeId& node, AgentInfo& agent, const wire::Heartbeat& hb, TimeMs now, TimeMs local_now);
  void refuse_report(const NodeId& node, AgentInfo& agent, const std::string& why, TimeMs local_now);
  // The VIPs rules name: an agent's report of any other address means nothing to the
  // engine and is not proposed. Rebuilt after a rule changes.
  const std::set<std::string>& configured_vips();
  void record_operator(const LogEntry& e, const Status& st);
  // Applies an access change; returns its outcome. Audit records go to the store.
  Status apply_access(const access::Change& c, const access::Actor& by);
  // The audit record of an operator's engine command, as it applied.
  void audit_event(const rules::Event& e, const access::Actor& by, const Status& st);
  void store_audit(const std::vector<access::AuditRecord>& records);
  // A rule whose VIP is some node's own address would take that host off the network
  // on release (the agent refuses it too; this says so before anything is sent).
  Status check_vips_against_hosts(const rules::Event& e) const;
  void after_operator_command(const rules::Event& e);

  ReplicatedLog& log_;
  EventHistory& history_;
  Outbox& out_;
  rules::Settings initial_;
  rules::Engine engine_;
  access::AccessControl access_;
  AuditStore* audit_store_ = nullptr;
  rules::LivenessTracker liveness_;
  std::map<uint64_t, Pending> pending_;
  std::map<NodeId, AgentInfo> agents_;
  uint64_t agents_version_ = 0;
  // Last confirmed monitor state reported to the engine: (node, rule) -> healthy.
  std::map<std::pair<NodeId, std::string>, bool> monitor_state_;
  std::map<uint64_t, Waiter> waiters_;  // by log index
  // The no-quorum override: its private engine, its actions in flight, what it did.
  std::unique_ptr<rules::Engine> override_engine_;
  std::map<uint64_t, NodeId> override_pending_;  // action id -> node asked
  std::map<rules::RuleId, NodeId> overridden_;
  std::map<rules::RuleId, access::Actor> override_actors_;
  uint64_t overrides_started_ = 0;
  void carry_out_override(const rules::Decision& d, TimeMs now);
  std::deque<Committed> queue_;
  bool draining_ = false;
  bool leads_ = false;
  bool acting_ = false;
  uint64_t leader_term_ = 0;
  bool set_term_proposed_ = false;  // this term's SetTerm is in the log (else retried on the timer)
  TimeMs last_local_now_ = 0;       // the newest local time an input carried
  uint64_t applied_index_ = 0;
  TimeMs last_now_ = 0;
  // cluster time = local + offset: the tightest lower bound on the current leader's
  // clock that the entries of its term give (reset when a newer term's entry applies).
  std::optional<TimeMs> frame_offset_;
  uint64_t frame_term_ = 0;
  TimeMs acting_since_ = 0;  // cluster time: the old leader's lease had ended by then
  TimeMs last_grant_ = 0;    // cluster time of the last vouching grant sent to the arbiter
  void refresh_sighting_alerts(const std::string& member, TimeMs local_now);
  // Reports older than three report periods (2 s each) count as unknown.
  MemberSightings sightings_{6000};
  std::set<std::pair<std::string, NodeId>> sighting_alerts_;  // (member, node) warned about
  uint64_t snapshot_every_ = 5000;
  uint64_t last_snapshot_ = 0;
  std::set<std::string> configured_vips_;
  bool configured_vips_stale_ = true;
};

}  // namespace poolha::controller
