#include "arbiter/witness.h"

namespace poolha::arbiter {

Witness::Witness(TimeMs sees_within_ms, TimeMs start_ms, TimeMs quiet_after_start_ms)
    : sees_within_ms_(sees_within_ms), quiet_until_ms_(start_ms + quiet_after_start_ms) {}

Witness::NodeRecord* Witness::record(const std::string& node) {
  auto it = nodes_.find(node);
  if (it != nodes_.end()) return &it->second;
  if (nodes_.size() >= kMaxNodes || node.empty() || node.size() > kMaxNodeIdBytes) return nullptr;
  return &nodes_[node];
}

bool Witness::heard(const std::string& node, TimeMs now) {
  NodeRecord* r = record(node);
  if (!r) return false;
  if (r->fenced) return false;
  r->last_heard = now;
  return now >= quiet_until_ms_ && vouching(now);
}

WitnessAnswer Witness::query(const std::string& node, TimeMs now) {
  NodeRecord* r = record(node);
  // Not trackable (table full, bad id): its heartbeats are not answered either, so
  // "not seen" without a fence record is still safe.
  if (!r) return WitnessAnswer{false, -1};
  WitnessAnswer a;
  if (r->last_heard >= 0) {
    a.ms_since_heard = now - r->last_heard;
    a.sees = !r->fenced && a.ms_since_heard < sees_within_ms_;
  }
  if (!a.sees) r->fenced = true;
  return a;
}

bool Witness::lift(const std::string& node) {
  auto it = nodes_.find(node);
  if (it == nodes_.end() || !it->second.fenced) return false;
  it->second.fenced = false;
  return true;
}

bool Witness::admits(const std::string& node, TimeMs now) const {
  if (now < quiet_until_ms_ || node.empty() || node.size() > kMaxNodeIdBytes) return false;
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return nodes_.size() < kMaxNodes;
  return !it->second.fenced;
}

std::vector<std::string> Witness::unheard(const std::vector<std::string>& nodes, TimeMs now,
                                         TimeMs never_heard_after) const {
  std::vector<std::string> out;
  for (const auto& n : nodes) {
    auto it = nodes_.find(n);
    const bool silent = it == nodes_.end() || it->second.last_heard < 0
                            ? now >= never_heard_after
                            : it->second.fenced || now - it->second.last_heard >= sees_within_ms_;
    if (silent) out.push_back(n);
  }
  return out;
}

bool Witness::fenced(const std::string& node) const {
  auto it = nodes_.find(node);
  return it != nodes_.end() && it->second.fenced;
}

}  // namespace poolha::arbiter
