// The acting controller's part in keeping a voting arbiter (design §3.3: "a standby
// arbiter replaces a lost one"): it reads the Raft node's view of every other member and
// the links to them, and names the one membership change to propose now, if any. The
// decision itself is consensus::next_arbiter_change; this is the glue between it and a
// running member, shared unchanged by the controller daemon and controlplane_sim. No
// sockets, clocks or threads.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "consensus/arbiter_replacement.h"
#include "consensus/raft.h"

namespace poolha::controller {

struct PeerView {
  consensus::MemberId id;
  consensus::MemberRole role;
  bool link_up = false;  // our link to it is up (the transport's view, not Raft's)
};

// `raft` is this (acting) member's core; `peers` every other configured member;
// `replace_after_ticks` how long a voting arbiter may stay silent.
std::optional<consensus::MembershipChange> next_arbiter_step(const consensus::Raft& raft,
                                                             const std::vector<PeerView>& peers,
                                                             uint64_t replace_after_ticks);

}  // namespace poolha::controller
