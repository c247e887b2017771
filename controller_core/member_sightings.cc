#include "controller_core/member_sightings.h"

namespace poolha::controller {

Expected<std::vector<MemberSightings::Change>> MemberSightings::report(const std::string& member,
                                                                       const std::vector<rules::NodeId>& unheard,
                                                                       rules::TimeMs now) {
  if (unheard.size() > kMaxNodes)
    return Status::Error("sightings from " + member + " name " + std::to_string(unheard.size()) + " nodes, more than " +
                         std::to_string(kMaxNodes));
  std::set<rules::NodeId> next;
  for (const auto& n : unheard) {
    if (n.empty() || n.size() > kMaxNodeIdBytes)
      return Status::Error("sightings from " + member + " name a node id of " + std::to_string(n.size()) +
                           " bytes (1.." + std::to_string(kMaxNodeIdBytes) + " allowed)");
    if (!next.insert(n).second) return Status::Error("sightings from " + member + " name node '" + n + "' twice");
  }
  std::vector<Change> changes;
  Report& r = by_member_[member];
  for (const auto& n : next)
    if (!r.unheard.count(n)) {
      changes.push_back({member, n, true});
      by_node_[n].insert(member);
    }
  for (const auto& n : r.unheard)
    if (!next.count(n)) {
      changes.push_back({member, n, false});
      auto it = by_node_.find(n);
      it->second.erase(member);
      if (it->second.empty()) by_node_.erase(it);
    }
  r.unheard = std::move(next);
  r.at = now;
  return changes;
}

std::vector<std::string> MemberSightings::expire(rules::TimeMs now) {
  std::vector<std::string> dropped;
  for (auto it = by_member_.begin(); it != by_member_.end();) {
    if (now - it->second.at <= max_age_ms_) {
      ++it;
      continue;
    }
    for (const auto& n : it->second.unheard) {
      auto b = by_node_.find(n);
      b->second.erase(it->first);
      if (b->second.empty()) by_node_.erase(b);
    }
    dropped.push_back(it->first);
    it = by_member_.erase(it);
  }
  return dropped;
}

std::vector<std::string> MemberSightings::unheard_by(const rules::NodeId& node) const {
  auto it = by_node_.find(node);
  if (it == by_node_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

long MemberSightings::unheard_count(const std::string& member) const {
  auto it = by_member_.find(member);
  return it == by_member_.end() ? -1 : static_cast<long>(it->second.unheard.size());
}

}  // namespace poolha::controller
