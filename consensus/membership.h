// Member sets: their text form inside log entries, and single-server changes.
#pragma once
#include "common/status.h"
#include "consensus/raft_types.h"

namespace poolha::consensus {

// One line per member: "voter <id> <role>" or "learner <id> <role>".
std::string encode_membership(const Membership& m);
Expected<Membership> decode_membership(const std::string& text);

// The member set after `change`, or why the change is refused (unknown member,
// already a voter, the last voter, ...). Pure: `current` is not modified.
Expected<Membership> apply_change(const Membership& current, const MembershipChange& change);

std::string describe(const MembershipChange& c);

// The membership in force after `entries`: the newest Membership entry among them that
// decodes, else `base` (the snapshot's, or the initial one) at `base_index`. Raft
// takes a configuration as soon as it is in the log (committed or not), and so does
// everything that reads a stored log (log surgery).
struct MembershipInForce {
  Membership membership;
  Index index = 0;
};
MembershipInForce membership_in_force(const Membership& base, Index base_index, const std::vector<Entry>& entries);

}  // namespace poolha::consensus
