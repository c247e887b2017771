#include "consensus/arbiter_replacement.h"

namespace poolha::consensus {

std::optional<MembershipChange> next_arbiter_change(const ReplacementInput& in) {
  const auto healthy_standby = [&]() -> const MemberView* {
    for (const auto& m : in.members)
      if (m.role == MemberRole::Arbiter && in.membership.learners.count(m.id) && m.match >= in.commit &&
          m.ticks_since_ack < in.recent_ticks)
        return &m;
    return nullptr;
  };
  bool voting_arbiter = false;
  for (const auto& [id, role] : in.membership.voters) voting_arbiter |= role == MemberRole::Arbiter;
  if (!voting_arbiter) {
    if (const MemberView* s = healthy_standby()) return MembershipChange{MembershipChange::Kind::Promote, s->id};
  }
  for (const auto& m : in.members) {
    if (m.role != MemberRole::Arbiter || !in.membership.is_voter(m.id)) continue;
    if (m.ticks_since_ack >= in.replace_after_ticks && healthy_standby())
      return MembershipChange{MembershipChange::Kind::Remove, m.id};
  }
  for (const auto& m : in.members)
    if (m.role == MemberRole::Arbiter && !in.membership.contains(m.id) && m.link_up)
      return MembershipChange{MembershipChange::Kind::AddLearner, m.id, MemberRole::Arbiter};
  return std::nullopt;
}

}  // namespace poolha::consensus
