#include "controller_core/arbiter_steward.h"

namespace poolha::controller {

std::optional<consensus::MembershipChange> next_arbiter_step(const consensus::Raft& raft,
                                                             const std::vector<PeerView>& peers,
                                                             uint64_t replace_after_ticks) {
  consensus::ReplacementInput in;
  in.membership = raft.membership();
  in.commit = raft.commit_index();
  in.replace_after_ticks = replace_after_ticks;
  const auto acks = raft.ticks_since_ack();
  const auto match = raft.match_indices();
  for (const PeerView& p : peers) {
    if (p.id == raft.id()) continue;
    consensus::MemberView v{p.id, p.role, 1u << 30, 0, p.link_up};  // never heard: silent for ever
    if (auto it = acks.find(p.id); it != acks.end()) v.ticks_since_ack = it->second;
    if (auto it = match.find(p.id); it != match.end()) v.match = it->second;
    in.members.push_back(v);
  }
  return consensus::next_arbiter_change(in);
}

}  // namespace poolha::controller
