// The consensus core's disk: hard state, log entries and the latest snapshot in three
// SQLite tables, written so that a crash at any point leaves either the whole batch or
// none of it (one transaction each; the database runs WAL with synchronous=FULL, so a
// COMMIT is durable when it returns). This is step 1 of the Ready contract in
// consensus/raft_types.h.
//
// Not thread-safe. `db` must outlive this object, and its other users must not hold a
// transaction open while these calls run (they start their own).
#pragma once
#include <functional>
#include <memory>

#include "common/status.h"
#include "consensus/raft_types.h"
#include "store/sqlite_db.h"

namespace poolha::store {

class RaftStorage {
 public:
  // Creates the tables if they do not exist yet.
  static Expected<std::unique_ptr<RaftStorage>> open(SqliteDb& db);

  // Persists `r.snapshot` (dropping every stored entry: the log restarts after it),
  // then `r.entries` (replacing stored entries at their indices and above), then
  // `r.hard_state`. Messages and committed entries are not stored. On error nothing
  // changed. `also` runs inside the same transaction (the one-time import of an old
  // single-controller log drops the old tables there).
  Status save(const consensus::Ready& r, const std::function<Status()>& also = {});

  // Persists a snapshot the application took after Raft::compact() and drops the
  // entries it covers. A snapshot not newer than the stored one changes nothing (it
  // is already covered). On error nothing changed.
  Status save_compaction(const consensus::Snapshot& s);

  // What a restarting member passes to Raft. `initial` is used only by a member that
  // never stored anything. Errors if the stored rows break the log's invariants
  // (entries contiguous after the snapshot, known kinds, decodable memberships),
  // naming the row.
  Expected<consensus::Recovered> recover(const consensus::Membership& initial) const;

  // Nothing was ever stored: a brand-new member (bootstrap decides its membership).
  bool empty() const { return empty_; }

 private:
  RaftStorage(SqliteDb& db, bool empty) : db_(db), empty_(empty) {}
  Status write_snapshot(const consensus::Snapshot& s);

  SqliteDb& db_;
  bool empty_;
};

}  // namespace poolha::store
