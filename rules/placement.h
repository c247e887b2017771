// Where a placement unit (a rule, or all rules of its group) may run, and in which
// order candidates are tried. Deterministic: the documented order, ties by node id.
//
// Candidate order (docs/design.md §3.2 "Target choice"):
//   1. fixed target, if the rule names one: the only takeover candidate (a first
//      placement or failback still tries the home node first);
//   2. an operator's explicit target: the only candidate;
//   3. with local takeover on, the designated standby first;
//   4. then every other eligible node ranked by: fewer anti-affinity clashes, higher
//      node priority, more free capacity, fewer standby duties, node id.
// Eligible: in the rule's pool, heartbeats arriving, not in maintenance, node monitors
// healthy, same OS, carries the rule's labels, no failing rule monitor for the unit,
// an address in every VIP's subnet (unless the VIP names an interface), free capacity.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "rules/model.h"

namespace poolha::rules {

// Rules that switch together, in start order. A rule without a group is its own unit.
std::vector<RuleId> unit_of(const ClusterState& s, const RuleId& rule);
// Key identifying a unit: "group:<pool>/<group>" or "rule:<id>".
std::string unit_key(const RuleSpec& spec);

// Units each node hosts or is about to host (capacity counts units, a group once),
// and how many units each node stands by for. A reachable node still reporting a
// unit's addresses counts as hosting it until it lets go.
struct Occupancy {
  std::map<NodeId, int> hosted;
  std::map<NodeId, int> standby_duties;
};
Occupancy compute_occupancy(const ClusterState& s);

// True when one of the node's subnets contains the VIP's address and is no wider than
// the VIP's prefix (agents refuse a VIP wider than their interface's subnet).
bool subnet_covers(const std::vector<std::string>& node_subnets, const std::string& vip_cidr);

// Why `node` cannot host `unit`; empty when it can. `ignore_capacity` for the node
// already hosting the unit.
std::string ineligibility(const ClusterState& s, const Occupancy& occ, const std::vector<RuleId>& unit,
                          const NodeId& node, bool ignore_capacity = false);

struct ElectionInput {
  std::vector<RuleId> unit;
  NodeId from;              // excluded
  NodeId requested_target;  // operator's choice, if any
  std::vector<NodeId> tried;
  bool prefer_home = false;  // first placement / failback: home node first
};
std::vector<NodeId> rank_candidates(const ClusterState& s, const Occupancy& occ, const ElectionInput& in);

// Best standby for a unit whose primary is `primary`; empty if none.
NodeId choose_standby(const ClusterState& s, const Occupancy& occ, const std::vector<RuleId>& unit,
                      const NodeId& primary);

}  // namespace poolha::rules
