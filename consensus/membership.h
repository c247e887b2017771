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

}  // namespace poolha::consensus
