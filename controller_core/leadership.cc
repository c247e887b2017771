#include "controller_core/leadership.h"

namespace poolha::controller {

Leadership::Change Leadership::update(const consensus::Raft& raft, ControllerCore& core, TimeMs local_now) {
  Change c;
  const bool was_acting = core.acting();
  core.set_leader(raft.lease_valid(), raft.term(), local_now);  // lease_valid: a leader with a lease
  c.acting_changed = was_acting != core.acting();
  c.leader = raft.leader();
  if (c.leader == last_leader_) return c;
  c.leader_changed = true;
  last_leader_ = c.leader;
  if (!c.leader.empty() && c.leader != self_)
    for (const auto& [rule, node] : core.overrides()) c.overrides_at_risk.emplace_back(rule, node);
  return c;
}

Status check_override_allowed(const consensus::Raft& raft, bool acting, uint64_t election_ticks) {
  if (acting || !raft.leader().empty())
    return Status::Error("override refused: the control plane has a quorum; use a normal forced switch");
  if (raft.ticks_since_quorum_contact() < election_ticks)
    return Status::Error("override refused: the control plane may be electing a leader (quorum heard " +
                         std::to_string(raft.ticks_since_quorum_contact()) +
                         " ticks ago); wait an election timeout, or use a normal forced switch");
  return Status::Ok();
}

}  // namespace poolha::controller
