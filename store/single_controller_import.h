// The one-time move of a single controller's state from before the replicated log.
// Such a controller kept its state in two tables of controller.db: `command_log` (idx,
// event JSON) and `snapshot` (idx, state JSON). A controller is now always a Raft
// member (a single one is a cluster of one voter), and Raft carries exactly those texts:
// commands as Command entries, the state as snapshot data. So the rows move into the
// Raft tables unchanged, at the same indices, marked committed (the old controller
// acknowledged each one only after it was on disk), and the old tables are dropped, in
// one transaction: on error nothing changed.
//
// The term: the agents refuse commands from a term below one they have seen. Every
// term the old controller used was first written to its log as its own SetTerm entry,
// so none exceeds the last index; the imported entries carry last index + 1, and the
// first leader after the import is elected above it.
#pragma once
#include <optional>

#include "common/status.h"
#include "consensus/raft_types.h"
#include "store/sqlite_db.h"

namespace poolha::store {

struct SingleControllerImport {
  consensus::Index snapshot_index = 0;  // 0: there was no snapshot
  size_t entries = 0;                   // commands after it
  consensus::Term term = 0;             // the term they now carry
};

// Nothing to do (no old tables, or empty ones, which are dropped): nullopt. Old rows
// and a Raft log that is not empty: an error, as nobody can tell which one is right.
// `membership`: the cluster's initial membership, recorded with the snapshot.
Expected<std::optional<SingleControllerImport>> import_single_controller_log(SqliteDb& db,
                                                                              const consensus::Membership& membership);

}  // namespace poolha::store
