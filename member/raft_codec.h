// Raft messages on the wire: consensus::Message <-> wire::RaftMessage. Decoding
// validates what the consensus core assumes of a message (known type and kinds,
// contiguous entries, decodable memberships, named sender and receiver), so a bad or
// hostile peer's message is refused here with a reason and never reaches the core.
// It does not check that `from` is the TLS peer: the caller does.
#pragma once
#include <cstddef>
#include <vector>

#include "common/status.h"
#include "consensus/raft_types.h"
#include "wire/frame.h"
#include "wire/poolha.pb.h"

namespace poolha::member {

wire::RaftMessage to_proto(const consensus::Message& m);
Expected<consensus::Message> from_proto(const wire::RaftMessage& p);

// Cuts an Append whose Envelope would exceed `max_frame_bytes` into consecutive
// Appends that each fit (each is a valid Append on its own: the follower may apply
// any prefix of them). Other messages come back unchanged. Errors if a single entry,
// or a message that cannot be cut (an InstallSnapshot), does not fit.
Expected<std::vector<consensus::Message>> split_to_fit(const consensus::Message& m,
                                                       size_t max_frame_bytes = wire::kMaxFrameBytes);

}  // namespace poolha::member
