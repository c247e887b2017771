// The controller's logic around the engine, with no sockets and no clock: inputs
// (heartbeats, results, arbiter answers, operator commands, timer ticks, each with
// `now`) become engine events; every event is appended to the command log (durable)
// before the engine applies it; the engine's actions go out through an Outbox.
// The I/O shell (controller_main) owns the sockets and the clock; tests drive this
// class directly.
//
// Time: `now` is the controller's monotonic clock in ms. After a restart the shell
// must pass times >= resume_time() (the newest time in the log), so deadlines
// computed before the restart stay meaningful.
#pragma once
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "controller/command_log.h"
#include "controller/event_history.h"
#include "rules/engine.h"
#include "rules/liveness.h"
#include "wire/poolha.pb.h"

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
};

struct AgentInfo {
  bool connected = false;
  std::string hostname;
  std::string version;
  std::string os;
  TimeMs last_heard_ms = 0;
  wire::Heartbeat last_heartbeat;  // while unconfigured: so the node is up at once when configured
};

class ControllerCore {
 public:
  ControllerCore(CommandLog& log, EventHistory& history, Outbox& out);

  // Rebuilds the state from the log (snapshot + entries), starts a new term, and
  // resends the actions of in-flight transitions. `initial` settings are committed
  // only when the log is empty (first start).
  Status start(TimeMs now, const rules::Settings& initial);
  TimeMs resume_time() const { return last_now_; }

  // Agent session events.
  void on_agent_hello(const NodeId& node, const wire::NodeFacts& facts, TimeMs now);
  void on_agent_closed(const NodeId& node);
  void on_heartbeat(const NodeId& node, const wire::Heartbeat& hb, TimeMs now);
  void on_result(const NodeId& node, const wire::CommandResult& r, TimeMs now);
  void on_arbiter_answer(const NodeId& node, bool reachable, bool sees, int64_t ms_since_heard, TimeMs now);
  // The link to the arbiter went up or down (news for operators before any failure).
  void on_arbiter_link(bool up, TimeMs now);
  // Liveness expiry, action time-outs and the engine's Tick.
  void on_timer(TimeMs now, int minute_of_day);
  // The earliest moment something is due: a node's silence reaching suspect_after, or
  // a transition waiting for a lost primary's isolation deadline.
  TimeMs next_deadline(TimeMs now) const;

  // An operator command (UpsertRule, Switchover, ...). Ok once durable and applied;
  // otherwise the engine's or the log's reason, and nothing changed.
  Status operator_command(rules::Event e, const std::string& actor);

  const rules::ClusterState& state() const { return engine_.state(); }
  const std::map<NodeId, AgentInfo>& agents() const { return agents_; }
  uint64_t log_index() const { return log_.last_index(); }

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

  // Appends, applies, and carries out the decision; events the decision causes
  // (an unreachable node's result) are handled after, in order.
  Status commit(const rules::Event& e, const std::string& actor = "controller");
  void carry_out(const rules::Decision& d, TimeMs now);
  void send_action(const rules::Action& a, TimeMs now);
  void send_roles_to(const NodeId& node);
  wire::RoleAssignment role_message(const rules::RuleId& rule, const std::string& role, uint64_t epoch) const;
  void report_monitors(const NodeId& node, const wire::Heartbeat& hb, TimeMs now);

  CommandLog& log_;
  EventHistory& history_;
  Outbox& out_;
  rules::Engine engine_;
  rules::LivenessTracker liveness_;
  std::map<uint64_t, Pending> pending_;
  std::map<NodeId, AgentInfo> agents_;
  // Last confirmed monitor state reported to the engine: (node, rule) -> healthy.
  std::map<std::pair<NodeId, std::string>, bool> monitor_state_;
  std::deque<rules::Event> queue_;
  bool draining_ = false;
  TimeMs last_now_ = 0;
  uint64_t snapshot_every_ = 5000;
  uint64_t last_snapshot_ = 0;
};

}  // namespace poolha::controller
