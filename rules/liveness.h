// Turns a stream of heartbeats into the engine's liveness events: a node is reported
// reachable when it is first heard (or heard again after a loss) and unreachable once
// it has been silent for `suspect_after`. Pure: the caller supplies the time. This is
// the controller's volatile view (not logged); only its transitions become commands,
// so 5,000 agents heartbeating twice a second do not flood the log.
#pragma once
#include <unordered_map>
#include <vector>

#include "rules/events.h"

namespace poolha::rules {

class LivenessTracker {
 public:
  explicit LivenessTracker(TimeMs suspect_after) : suspect_after_(suspect_after) {}

  // Records a heartbeat; true when the engine must hear of it (node was not up).
  bool heard(const NodeId& node, TimeMs now);
  // Nodes silent for suspect_after, each reported once per loss.
  std::vector<NodeUnreachable> expire(TimeMs now);
  // After a controller restart or takeover: nodes the engine believes up get a fresh
  // grace period instead of being declared lost for the silence of the restart.
  // `grace_ms` longer than suspect_after covers agents that reconnect with a backoff;
  // the node's last-heard time stays what it really was.
  void assume_up(const NodeId& node, TimeMs now, TimeMs grace_ms = 0);
  void forget(const NodeId& node) { nodes_.erase(node); }
  TimeMs last_heard(const NodeId& node) const;
  // The earliest moment expire() would report a node (0: none is up). Lets the caller
  // wake exactly then instead of up to a timer period late.
  TimeMs next_expiry() const;
  bool is_up(const NodeId& node) const;
  void set_suspect_after(TimeMs ms) { suspect_after_ = ms; }

 private:
  struct Entry {
    TimeMs last = 0;
    TimeMs grace_until = 0;  // not declared lost before this moment
    bool up = false;
  };
  TimeMs suspect_after_;
  std::unordered_map<NodeId, Entry> nodes_;
};

}  // namespace poolha::rules
