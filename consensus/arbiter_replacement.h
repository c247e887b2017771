// When to replace the arbiter (design §3.3: "a standby arbiter replaces a lost one"),
// as a pure decision for the leader: given what it knows of every member, the next
// single-server membership change to propose, if any. The leader asks after every
// tick; a change is proposed only when none is pending (Raft allows one at a time).
//
//  1. A voting arbiter silent for `replace_after_ticks` while a standby (learner)
//     arbiter is caught up and answering: remove the silent one.
//  2. No voting arbiter, a caught-up standby arbiter: promote it.
//  3. A configured arbiter that is no member (the one replaced earlier, or one an
//     operator removed while it is still configured) and whose member link is up:
//     add it back as the standby. The configured arbiters are the desired set.
// Controllers are never changed automatically: that is an operator's decision.
#pragma once
#include <map>
#include <optional>
#include <vector>

#include "consensus/raft_types.h"

namespace poolha::consensus {

struct MemberView {
  MemberId id;
  MemberRole role = MemberRole::Controller;
  uint64_t ticks_since_ack = 0;  // leader's view; large when never heard
  Index match = 0;
  bool link_up = false;          // the driver's session to it
};

struct ReplacementInput {
  Membership membership;
  Index commit = 0;
  std::vector<MemberView> members;  // every configured member except the leader itself
  uint64_t replace_after_ticks = 30;
  uint64_t recent_ticks = 4;        // "answering": acknowledged within this many ticks
};

std::optional<MembershipChange> next_arbiter_change(const ReplacementInput& in);

}  // namespace poolha::consensus
