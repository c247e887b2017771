// Log surgery: the one change to a stopped member's Raft log that poolha makes outside
// Raft, for disaster recovery when a quorum is lost for good (etcd's
// --force-new-cluster, Consul's peers.json). It appends one entry that makes `self` the
// only voter, in a term above every term the log and the agents have seen, and keeps
// every entry before it, so the member restarts alone with its state whole.
//
// The caller must have stopped the member, and the other members' databases must never
// run again: they would elect among themselves with the old membership.
#pragma once
#include <string>

#include "common/status.h"
#include "consensus/raft_types.h"
#include "store/sqlite_db.h"

namespace poolha::store {

struct SoleVoter {
  consensus::Index entry = 0;    // the new membership entry
  consensus::Term term = 0;      // its term (and the member's new hard-state term)
  consensus::Index kept_to = 0;  // every entry up to here is kept
};

// Makes `self` (a controller in the membership in force) the only voter, in a term above
// max(the stored term, the last entry's term, `term_above`). One transaction: on error
// nothing changed. With `write` false it only checks and says what it would do, so an
// operator sees a refusal before being asked to confirm.
Expected<SoleVoter> make_sole_voter(SqliteDb& db, const std::string& self, consensus::Term term_above, bool write);

}  // namespace poolha::store
