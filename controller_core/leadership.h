// Whether this controller acts, and what an operator must hear when that changes
// (design §6.3: one acting controller). A controller acts exactly while its consensus
// member leads with a valid lease; update() hands that to the core and says what
// changed. Also the no-quorum override's admission (design §3.3). Shared unchanged by
// the controller daemon and controlplane_sim; no sockets, clocks or threads.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "consensus/raft.h"
#include "controller_core/controller_core.h"

namespace poolha::controller {

class Leadership {
 public:
  struct Change {
    bool acting_changed = false;  // the core started or stopped acting
    bool leader_changed = false;  // the leader this member knows is another one ("" = none)
    std::string leader;
    // Overrides this member carried out without quorum that the log does not hold,
    // now that another controller leads: it may undo them, so the operator must send
    // them again through it (`poolhactl force RULE --to NODE`).
    std::vector<std::pair<rules::RuleId, NodeId>> overrides_at_risk;
  };

  explicit Leadership(consensus::MemberId self) : self_(std::move(self)) {}

  // REQUIRES: `raft` has counted every tick that elapsed until now (ConsensusNode::
  // caught_up(); the simulation's catch-up), so a member that was frozen learns it no
  // longer leads before it grants, renews or sends anything.
  Change update(const consensus::Raft& raft, ControllerCore& core, TimeMs local_now);

 private:
  consensus::MemberId self_;
  std::string last_leader_;
};

// The operator's forced switch without quorum is allowed only when this member does
// not act, knows no leader, and has heard no quorum for an election timeout: a leader
// that is just being elected is no reason to bypass the log. The error says why not.
Status check_override_allowed(const consensus::Raft& raft, bool acting, uint64_t election_ticks);

}  // namespace poolha::controller
