#include "controller_core/audit_store.h"

#include <algorithm>

namespace poolha::controller {

namespace {

constexpr const char* kColumns =
    "seq, at_ms, account, roles, source, action, target, reason, ticket, result, detail, prev_hash, hash";

access::AuditRecord from_row(const store::SqliteDb::Row& r) {
  using store::as_int;
  using store::as_text;
  return {static_cast<uint64_t>(as_int(r[0])), as_int(r[1]), as_text(r[2]), as_text(r[3]), as_text(r[4]),
          as_text(r[5]), as_text(r[6]), as_text(r[7]), as_text(r[8]), as_text(r[9]), as_text(r[10]),
          as_text(r[11]), as_text(r[12])};
}

}  // namespace

Expected<std::unique_ptr<AuditStore>> AuditStore::open(store::SqliteDb& db) {
  auto st = db.exec(
      "CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, account TEXT NOT NULL,"
      " roles TEXT NOT NULL, source TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, reason TEXT NOT NULL,"
      " ticket TEXT NOT NULL, result TEXT NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS audit_account ON audit(account);"
      "CREATE INDEX IF NOT EXISTS audit_at ON audit(at_ms);"
      "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
      " BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
      "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
      " BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;");
  if (!st.ok()) return st;
  return std::unique_ptr<AuditStore>(new AuditStore(db));
}

Status AuditStore::append(const access::AuditRecord& r) {
  std::string held;
  auto st = db_.run("SELECT hash FROM audit WHERE seq = ?1", {static_cast<int64_t>(r.seq)},
                    [&](const store::SqliteDb::Row& row) { held = store::as_text(row[0]); });
  if (!st.ok()) return st;
  if (!held.empty()) {
    if (held == r.hash) return Status::Ok();
    return Status::Error("audit record " + std::to_string(r.seq) + " on disk differs from the one the log makes");
  }
  return db_.run("INSERT INTO audit (" + std::string(kColumns) + ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
                 {static_cast<int64_t>(r.seq), r.at_ms, r.account, r.roles, r.source, r.action, r.target, r.reason,
                  r.ticket, r.result, r.detail, r.prev_hash, r.hash});
}

Expected<std::vector<access::AuditRecord>> AuditStore::range(uint64_t from_seq, size_t limit) const {
  std::vector<access::AuditRecord> out;
  auto st = db_.run("SELECT " + std::string(kColumns) + " FROM audit WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
                    {static_cast<int64_t>(from_seq), static_cast<int64_t>(limit)},
                    [&](const store::SqliteDb::Row& r) { out.push_back(from_row(r)); });
  if (!st.ok()) return st;
  return out;
}

Expected<std::vector<access::AuditRecord>> AuditStore::query(const AuditQuery& q) const {
  std::vector<access::AuditRecord> out;
  const int64_t limit = std::clamp(q.limit, 1, 10000);
  auto st = db_.run("SELECT " + std::string(kColumns) +
                        " FROM audit WHERE (?1 = '' OR account = ?1) AND (?2 = '' OR substr(action, 1, length(?2)) = ?2)"
                        " AND at_ms >= ?3 AND (?4 = 0 OR at_ms <= ?4) AND (?5 = 0 OR seq < ?5)"
                        " ORDER BY seq DESC LIMIT ?6",
                    {q.account, q.action, q.since_ms, q.until_ms, static_cast<int64_t>(q.before_seq), limit},
                    [&](const store::SqliteDb::Row& r) { out.push_back(from_row(r)); });
  if (!st.ok()) return st;
  return out;
}

uint64_t AuditStore::first_seq() const {
  int64_t v = 0;
  (void)db_.run("SELECT COALESCE(MIN(seq), 0) FROM audit", {}, [&](const store::SqliteDb::Row& r) { v = store::as_int(r[0]); });
  return static_cast<uint64_t>(v);
}

uint64_t AuditStore::last_seq() const {
  int64_t v = 0;
  (void)db_.run("SELECT COALESCE(MAX(seq), 0) FROM audit", {}, [&](const store::SqliteDb::Row& r) { v = store::as_int(r[0]); });
  return static_cast<uint64_t>(v);
}

}  // namespace poolha::controller
