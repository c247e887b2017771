// How long one VouchGrant (poolha.proto) lets the arbiter answer agents' heartbeats,
// on the arbiter's own clock from when the grant arrives. The active controller sends
// one every timer tick (100 ms); when it adds an unreachable arbiter's possible lease
// renewals to an isolation deadline it adds this much after its last grant.
#pragma once
#include <cstdint>

namespace poolha::wire {
constexpr int64_t kVouchGrantMs = 500;
}
