#include "rules/placement.h"

#include <string_view>
#include <unordered_map>

#include <algorithm>
#include <tuple>

#include "common/net_address.h"

namespace poolha::rules {

namespace {

bool has_labels(const NodeSpec& node, const std::map<std::string, std::string>& required) {
  for (const auto& [k, v] : required) {
    auto it = node.labels.find(k);
    if (it == node.labels.end() || it->second != v) return false;
  }
  return true;
}

int anti_affinity_clashes(const ClusterState& s, const std::vector<RuleId>& unit, const NodeId& node) {
  int clashes = 0;
  for (const auto& rid : unit) {
    for (const auto& other : s.rules.at(rid).spec.anti_affinity) {
      auto it = s.rules.find(other);
      if (it != s.rules.end() && it->second.primary == node) ++clashes;
    }
  }
  return clashes;
}

}  // namespace

std::string unit_key(const RuleSpec& spec) {
  return spec.group.empty() ? "rule:" + spec.id : "group:" + spec.pool + "/" + spec.group;
}

std::vector<RuleId> unit_of(const ClusterState& s, const RuleId& rule) {
  const auto& spec = s.rules.at(rule).spec;
  if (spec.group.empty()) return {rule};
  std::vector<std::pair<int, RuleId>> members;
  for (const auto& [id, r] : s.rules)
    if (r.spec.pool == spec.pool && r.spec.group == spec.group) members.emplace_back(r.spec.group_order, id);
  std::sort(members.begin(), members.end());
  std::vector<RuleId> out;
  for (auto& m : members) out.push_back(m.second);
  return out;
}

Occupancy compute_occupancy(const ClusterState& s) {
  std::map<NodeId, std::set<std::string>> hosted, standby;
  for (const auto& [id, r] : s.rules) {
    if (!r.primary.empty()) hosted[r.primary].insert(unit_key(r.spec));
    if (!r.standby.empty()) standby[r.standby].insert(unit_key(r.spec));
  }
  for (const auto& [id, t] : s.transitions)
    if (!t.target.empty() && !t.rules.empty()) hosted[t.target].insert(unit_key(s.rules.at(t.rules.front()).spec));
  // A reachable node that still reports another unit's addresses (it came back holding
  // them; the release is on its way) hosts that unit until it lets go: giving it a new
  // one now would put two units on it (control-plane simulation, seed 3099).
  // (Hashed views into the specs: this runs for every placement decision.)
  std::unordered_map<std::string_view, const RuleState*> owner;
  owner.reserve(s.rules.size() * 2);
  for (const auto& [id, r] : s.rules)
    for (const auto& v : r.spec.vips) owner.emplace(v.cidr, &r);
  for (const auto& [nid, n] : s.nodes) {
    if (n.liveness != Liveness::Up || n.held_vips.empty()) continue;
    std::set<std::string>* units = nullptr;
    for (const auto& cidr : n.held_vips) {
      auto o = owner.find(cidr);
      if (o == owner.end() || o->second->primary == nid) continue;  // its own unit: counted above
      if (!units) units = &hosted[nid];
      units->insert(unit_key(o->second->spec));
    }
  }
  Occupancy occ;
  for (auto& [n, units] : hosted) occ.hosted[n] = static_cast<int>(units.size());
  for (auto& [n, units] : standby) occ.standby_duties[n] = static_cast<int>(units.size());
  return occ;
}

// The node has a subnet that contains the VIP, no wider than the VIP's own prefix
// (the agent refuses a VIP wider than its interface's subnet: issue 9 §2).
bool subnet_covers(const std::vector<std::string>& node_subnets, const std::string& vip_cidr) {
  const auto vip = net::parse_address_or_cidr(vip_cidr);
  if (!vip) return false;
  for (const auto& a : node_subnets) {
    const auto n = net::parse_address_or_cidr(a);
    if (n && n->prefix <= vip->prefix && n->contains(vip->address)) return true;
  }
  return false;
}

std::string ineligibility(const ClusterState& s, const Occupancy& occ, const std::vector<RuleId>& unit,
                          const NodeId& node_id, bool ignore_capacity) {
  auto it = s.nodes.find(node_id);
  if (it == s.nodes.end()) return "unknown node";
  const NodeState& n = it->second;
  const RuleSpec& lead = s.rules.at(unit.front()).spec;
  if (n.spec.pool != lead.pool) return "not in pool " + lead.pool;
  if (n.liveness != Liveness::Up) return std::string("node is ") + to_string(n.liveness);
  if (n.maintenance) return "in maintenance";
  if (!n.healthy) return "node monitors failing";
  if (n.spec.os != lead.os) return "OS " + n.spec.os + " but rule needs " + lead.os;
  for (const auto& rid : unit) {
    const RuleSpec& spec = s.rules.at(rid).spec;
    if (!has_labels(n.spec, spec.labels)) return "lacks labels of rule " + rid;
    if (n.failing_rules.count(rid)) return "monitor of rule " + rid + " failing here";
    for (const auto& vip : spec.vips)
      if (vip.interface.empty() && !subnet_covers(n.subnets, vip.cidr)) return "no interface in subnet of " + vip.cidr;
  }
  if (!ignore_capacity) {
    auto h = occ.hosted.find(node_id);
    int used = h == occ.hosted.end() ? 0 : h->second;
    if (used >= n.spec.capacity) return "no free capacity";
  }
  return "";
}

std::vector<NodeId> rank_candidates(const ClusterState& s, const Occupancy& occ, const ElectionInput& in) {
  const RuleState& lead = s.rules.at(in.unit.front());
  auto usable = [&](const NodeId& n) {
    return n != in.from && std::find(in.tried.begin(), in.tried.end(), n) == in.tried.end() &&
           ineligibility(s, occ, in.unit, n).empty();
  };
  if (!lead.spec.fixed_target.empty()) {
    // The fixed target is where the rule goes on takeover; a first placement or a
    // failback still goes home first.
    std::vector<NodeId> out;
    if (in.prefer_home && !lead.spec.home.empty() && usable(lead.spec.home)) out.push_back(lead.spec.home);
    if (usable(lead.spec.fixed_target) && lead.spec.fixed_target != lead.spec.home) out.push_back(lead.spec.fixed_target);
    if (!in.requested_target.empty()) {
      if (std::find(out.begin(), out.end(), in.requested_target) != out.end()) return {in.requested_target};
      return {};
    }
    return out;
  }
  if (!in.requested_target.empty()) {
    if (usable(in.requested_target)) return {in.requested_target};
    return {};
  }
  using Key = std::tuple<int, int, int, int, NodeId>;
  std::vector<Key> ranked;
  for (const auto& [id, n] : s.nodes) {
    if (n.spec.pool != lead.spec.pool || !usable(id)) continue;
    auto h = occ.hosted.find(id);
    int free = n.spec.capacity - (h == occ.hosted.end() ? 0 : h->second);
    auto d = occ.standby_duties.find(id);
    int duties = d == occ.standby_duties.end() ? 0 : d->second;
    ranked.emplace_back(anti_affinity_clashes(s, in.unit, id), -n.spec.priority, -free, duties, id);
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<NodeId> out;
  for (auto& k : ranked) out.push_back(std::get<4>(k));
  auto promote = [&](const NodeId& n) {
    auto pos = std::find(out.begin(), out.end(), n);
    if (pos != out.end()) std::rotate(out.begin(), pos, pos + 1);
  };
  if (lead.spec.local_takeover && !lead.standby.empty()) promote(lead.standby);
  if (in.prefer_home && !lead.spec.home.empty()) promote(lead.spec.home);
  return out;
}

NodeId choose_standby(const ClusterState& s, const Occupancy& occ, const std::vector<RuleId>& unit,
                      const NodeId& primary) {
  const RuleState& lead = s.rules.at(unit.front());
  if (!lead.spec.fixed_target.empty()) {
    if (lead.spec.fixed_target != primary && ineligibility(s, occ, unit, lead.spec.fixed_target).empty())
      return lead.spec.fixed_target;
    return "";
  }
  using Key = std::tuple<int, int, int, NodeId>;
  std::optional<Key> best;
  for (const auto& [id, n] : s.nodes) {
    if (id == primary || n.spec.pool != lead.spec.pool) continue;
    if (!ineligibility(s, occ, unit, id).empty()) continue;
    auto d = occ.standby_duties.find(id);
    int duties = d == occ.standby_duties.end() ? 0 : d->second;
    // A node already standing by for this unit does not count that duty against itself.
    if (id == lead.standby) --duties;
    Key k{duties, anti_affinity_clashes(s, unit, id), -n.spec.priority, id};
    if (!best || k < *best) best = k;
  }
  return best ? std::get<3>(*best) : "";
}

}  // namespace poolha::rules
