// The arbiter's liveness witness (design §3.1, §3.3): which nodes it hears, its answer
// to a controller's "do you see this node?", and the fence that answer sets.
//
// Pure: no sockets, clocks or threads. Time is the caller's monotonic clock in
// milliseconds and must not go backwards. Not thread-safe (the daemon calls it from
// its one io_context thread).
//
// The fence. Once the witness has answered "not seen" for a node, the controller may
// already be moving that node's services. From then on the node's heartbeats are not
// evidence of life: its last-heard time stays frozen (later queries answer "not seen"
// with the frozen age) and its heartbeats are not answered, because an answer renews
// the agent's isolation lease. Otherwise a primary cut off from the controller that
// reconnects to the arbiter alone would keep its VIPs while a standby takes them.
// Only a controller saying it hears the node again (lift) removes the fence.
//
// A restarted arbiter has lost its fences; for `quiet_after_start_ms` after start it
// answers no heartbeat at all (they still count as heard), so a node it fenced before
// the restart cannot renew its lease through it before its isolation deadline passes.
// Agent sessions are refused under the same conditions (see admits()).
//
// Vouching grants. An answered heartbeat renews the agent's lease, so the arbiter may
// answer only while the active controller knows it does: the controller sends a grant
// every timer tick, and heartbeats are answered only until `grant_ms` after the last
// one arrived. An arbiter cut off from the active controller therefore stops renewing
// leases within a bounded time the controller can add to its isolation deadline.
#pragma once
#include <cstdint>
#include <algorithm>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace poolha::arbiter {

using TimeMs = int64_t;

struct WitnessAnswer {
  bool sees = false;
  TimeMs ms_since_heard = -1;  // -1: never heard (since the arbiter started)
};

class Witness {
 public:
  // Nodes beyond this many are not tracked: their heartbeats are neither recorded nor
  // answered, which is the safe side (no lease renewal, no false "seen").
  static constexpr size_t kMaxNodes = 100000;
  // Longer ids cannot be a certificate CN, so they are never heard: answered "not
  // seen" without being recorded.
  static constexpr size_t kMaxNodeIdBytes = 64;

  // sees_within_ms: a node heard less than this long ago counts as seen.
  // start_ms: the daemon's start on the same clock as every later call.
  Witness(TimeMs sees_within_ms, TimeMs start_ms, TimeMs quiet_after_start_ms);

  // A heartbeat from `node` arrived at `now`. Returns true if it must be answered
  // (the answer renews the agent's lease): false while the node is fenced, during
  // the quiet period after start, without a current grant, or when the table is full.
  bool heard(const std::string& node, TimeMs now);

  // Whether an agent session for `node` may open now. A completed Hello is contact
  // for the agent (it renews its lease), so it is refused exactly when a heartbeat
  // would go unanswered: while fenced, during the quiet period, or when untrackable.
  bool admits(const std::string& node, TimeMs now) const;

  // A controller asks about `node`. Answering "not seen" fences the node.
  WitnessAnswer query(const std::string& node, TimeMs now);

  // A controller hears `node` again: its heartbeats count from the next one on.
  // Returns true if a fence was lifted.
  bool lift(const std::string& node);

  // The active controller of `term` lets the witness vouch until now + duration. A grant
  // from an older term than the current grant's (a deposed controller, a late frame)
  // is ignored while that grant lasts; returns whether it was taken. Once it has run
  // out an older term may grant again, so a bogus huge term cannot lock real grants
  // out for ever (in a cluster the daemon takes grants only from the Raft leader of
  // the current term anyway).
  bool grant(TimeMs now, TimeMs duration, uint64_t term = 0) {
    if (term < grant_term_ && vouching(now)) return false;
    grant_term_ = term;
    vouch_until_ms_ = std::max(vouch_until_ms_, now + duration);
    return true;
  }
  bool vouching(TimeMs now) const { return now < vouch_until_ms_; }

  bool fenced(const std::string& node) const;
  // Whether `node` has a record (it was heard or asked about and the table had room).
  bool tracked_node(const std::string& node) const { return nodes_.count(node) > 0; }
  // Of `nodes` (the configured ones), those the witness does not hear at `now`: fenced,
  // silent for sees_within, or never heard once now >= never_heard_after. This is
  // what the arbiter reports to the leader (controller_core/member_sightings.h).
  std::vector<std::string> unheard(const std::vector<std::string>& nodes, TimeMs now, TimeMs never_heard_after) const;
  size_t tracked() const { return nodes_.size(); }

 private:
  struct NodeRecord {
    TimeMs last_heard = -1;  // -1: never
    bool fenced = false;
  };
  NodeRecord* record(const std::string& node);  // creates; null when the table is full

  TimeMs sees_within_ms_;
  TimeMs quiet_until_ms_;
  TimeMs vouch_until_ms_ = -1;
  uint64_t grant_term_ = 0;
  std::map<std::string, NodeRecord> nodes_;
};

}  // namespace poolha::arbiter
