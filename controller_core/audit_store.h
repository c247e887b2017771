// The audit trail on this member's disk (SQLite, beside the Raft log): every member
// appends the records it applies from the log (access/access_control.h makes them, the
// same on every member), so each holds the whole chain. Append-only: triggers refuse
// UPDATE and DELETE, and the chain (access/audit.h) shows any change made around them.
// Records are kept for as long as the database lives (MLPS asks for at least 180 days).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "access/audit.h"
#include "store/sqlite_db.h"

namespace poolha::controller {

struct AuditQuery {
  std::string account;  // exact; empty: any
  std::string action;   // prefix ("access." for sign-ins and accounts); empty: any
  int64_t since_ms = 0;
  int64_t until_ms = 0;  // 0: no bound
  uint64_t before_seq = 0;  // page backwards from here (0: from the newest)
  int limit = 100;
};

class AuditStore {
 public:
  static Expected<std::unique_ptr<AuditStore>> open(store::SqliteDb& db);
  // Stores `r` unless its seq is held already (a restart re-applies entries after the
  // snapshot): the same record is fine, another one at that seq is an error.
  Status append(const access::AuditRecord& r);
  // Records from `from_seq` on, ascending, at most `limit`.
  Expected<std::vector<access::AuditRecord>> range(uint64_t from_seq, size_t limit) const;
  // Newest first, filtered (the console's audit page).
  Expected<std::vector<access::AuditRecord>> query(const AuditQuery& q) const;
  // The lowest and highest seq held (0 when none).
  uint64_t first_seq() const;
  uint64_t last_seq() const;

 private:
  explicit AuditStore(store::SqliteDb& db) : db_(db) {}
  store::SqliteDb& db_;
};

}  // namespace poolha::controller
