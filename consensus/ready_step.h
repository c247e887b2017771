// The Ready contract of raft_types.h as one function, so that every driver runs it in
// the same order: the daemons' ConsensusNode, the tests' OneVoterLog and
// controlplane_sim. A driver supplies only its disk, its network and its application.
#pragma once
#include <functional>

#include "common/status.h"
#include "consensus/raft.h"

namespace poolha::consensus {

struct ReadySteps {
  // Durable when it returns Ok (the contract's step 1, atomic).
  std::function<Status(const Ready&)> persist;
  std::function<void(const Message&)> send;
  std::function<void(const Snapshot&)> restore;
  std::function<void(const Entry&)> apply;  // every kind; the application skips what it does not use
};

// Runs one batch if Raft has one: persist; send its messages; restore its snapshot;
// apply its committed entries in order; advance. False when there was none. When
// persist fails nothing is sent, applied or advanced and the error is returned: the
// core already counts the batch as stored, so the member must stop and restart from
// what its disk holds.
Expected<bool> run_ready_step(Raft& raft, const ReadySteps& steps);

}  // namespace poolha::consensus
