// What the controller core needs of the log it runs on: the consensus driver
// (member/: Raft over the controller pair and the arbiter, or over a controller alone)
// through RaftLog; tests and fuzzers use the same Raft and storage synchronously
// (tests/support/one_voter_log.h), the simulation over its own network. The core
// proposes, and applies only what the log hands back as committed, in order, on every
// member; the same events in the same order give every member the same engine state.
#pragma once
#include <cstdint>

#include "common/status.h"
#include "controller_core/log_entry.h"

namespace poolha::controller {

class ReplicatedLog {
 public:
  virtual ~ReplicatedLog() = default;
  // Leader only. Appends `e`; it takes effect when the log commits it and calls
  // ControllerCore::apply_committed (possibly from inside this call). The index says
  // where it will commit if it commits at all.
  virtual Expected<uint64_t> propose(const LogEntry& e) = 0;
  // The state after entry `index`; older entries may be dropped.
  virtual void compact(uint64_t index, const CoreSnapshot& state) = 0;
};

}  // namespace poolha::controller
