#include "rules/liveness.h"

#include <algorithm>

namespace poolha::rules {

bool LivenessTracker::heard(const NodeId& node, TimeMs now) {
  Entry& e = nodes_[node];
  e.last = std::max(e.last, now);
  if (e.up) return false;
  e.up = true;
  return true;
}

std::vector<NodeUnreachable> LivenessTracker::expire(TimeMs now) {
  std::vector<NodeUnreachable> lost;
  for (auto& [id, e] : nodes_)
    if (e.up && now - e.last >= suspect_after_ && now >= e.grace_until) {
      e.up = false;
      lost.push_back(NodeUnreachable{id, now, e.last});
    }
  std::sort(lost.begin(), lost.end(), [](const auto& a, const auto& b) { return a.node < b.node; });
  return lost;
}

void LivenessTracker::assume_up(const NodeId& node, TimeMs now, TimeMs grace_ms) {
  Entry& e = nodes_[node];
  e.up = true;
  e.last = std::max(e.last, now);
  e.grace_until = std::max(e.grace_until, now + grace_ms);
}

TimeMs LivenessTracker::next_expiry() const {
  TimeMs next = 0;
  for (const auto& [id, e] : nodes_) {
    if (!e.up) continue;
    const TimeMs at = std::max(e.last + suspect_after_, e.grace_until);
    if (next == 0 || at < next) next = at;
  }
  return next;
}

TimeMs LivenessTracker::last_heard(const NodeId& node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? 0 : it->second.last;
}

bool LivenessTracker::is_up(const NodeId& node) const {
  auto it = nodes_.find(node);
  return it != nodes_.end() && it->second.up;
}

}  // namespace poolha::rules
