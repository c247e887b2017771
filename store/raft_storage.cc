#include "store/raft_storage.h"

#include <functional>
#include <optional>

#include "consensus/membership.h"

namespace poolha::store {

using consensus::Entry;
using consensus::EntryKind;

namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS raft_hard_state (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " term INTEGER NOT NULL, voted_for TEXT NOT NULL, commit_idx INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS raft_entries (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL,"
    " kind INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS raft_snapshot (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " idx INTEGER NOT NULL, term INTEGER NOT NULL, membership TEXT NOT NULL, data BLOB NOT NULL);";

constexpr const char* kDamaged =
    " (the database may be damaged: restore it from a backup, or remove this member from the cluster, delete its "
    "database and add it again)";

// SQLite stores signed 64-bit integers; Raft indices and terms never reach 2^63.
int64_t sql_int(uint64_t v) { return static_cast<int64_t>(v); }

// A column this code wrote as a non-negative integer, or nothing if it is not one.
std::optional<uint64_t> stored_uint(const SqlValue& v) {
  if (!std::holds_alternative<int64_t>(v) || std::get<int64_t>(v) < 0) return std::nullopt;
  return static_cast<uint64_t>(std::get<int64_t>(v));
}

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT; any error rolls everything back.
Status in_transaction(SqliteDb& db, const std::function<Status()>& body) {
  if (auto st = db.exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  auto st = body();
  if (st.ok()) st = db.exec("COMMIT");
  if (!st.ok()) (void)db.exec("ROLLBACK");
  return st;
}

}  // namespace

Expected<std::unique_ptr<RaftStorage>> RaftStorage::open(SqliteDb& db) {
  if (auto st = db.exec(kSchema); !st.ok()) return Status::Error("raft storage: " + st.error());
  bool empty = true;
  auto st = db.run(
      "SELECT EXISTS (SELECT 1 FROM raft_hard_state) OR EXISTS (SELECT 1 FROM raft_entries)"
      " OR EXISTS (SELECT 1 FROM raft_snapshot)",
      {}, [&](const SqliteDb::Row& r) { empty = as_int(r[0]) == 0; });
  if (!st.ok()) return Status::Error("raft storage: " + st.error());
  return std::unique_ptr<RaftStorage>(new RaftStorage(db, empty));
}

Status RaftStorage::write_snapshot(const consensus::Snapshot& s) {
  return db_.run("INSERT OR REPLACE INTO raft_snapshot (id, idx, term, membership, data) VALUES (1, ?1, ?2, ?3, ?4)",
                 {sql_int(s.meta.index), sql_int(s.meta.term), consensus::encode_membership(s.meta.membership),
                  SqlBlob(s.data)});
}

Status RaftStorage::save(const consensus::Ready& r, const std::function<Status()>& also) {
  if (!r.snapshot && r.entries.empty() && !r.hard_state && !also) return Status::Ok();
  for (size_t i = 1; i < r.entries.size(); ++i)
    if (r.entries[i].index != r.entries[i - 1].index + 1)
      return Status::Error("raft storage: save: entry " + std::to_string(r.entries[i].index) + " follows entry " +
                           std::to_string(r.entries[i - 1].index) + " (not contiguous); nothing saved");
  auto st = in_transaction(db_, [&]() -> Status {
    if (r.snapshot) {
      if (auto s = write_snapshot(*r.snapshot); !s.ok()) return s;
      if (auto s = db_.exec("DELETE FROM raft_entries"); !s.ok()) return s;
    }
    if (!r.entries.empty()) {
      if (auto s = db_.run("DELETE FROM raft_entries WHERE idx >= ?1", {sql_int(r.entries.front().index)}); !s.ok())
        return s;
      for (const Entry& e : r.entries)
        if (auto s = db_.run("INSERT INTO raft_entries (idx, term, kind, data) VALUES (?1, ?2, ?3, ?4)",
                             {sql_int(e.index), sql_int(e.term), int64_t{static_cast<uint8_t>(e.kind)}, SqlBlob(e.data)});
            !s.ok())
          return s;
    }
    if (r.hard_state)
      if (auto s = db_.run("INSERT OR REPLACE INTO raft_hard_state (id, term, voted_for, commit_idx) VALUES (1, ?1, ?2, ?3)",
                           {sql_int(r.hard_state->term), r.hard_state->voted_for, sql_int(r.hard_state->commit)});
          !s.ok())
        return s;
    return also ? also() : Status::Ok();
  });
  if (!st.ok()) return Status::Error("raft storage: save (nothing saved): " + st.error());
  empty_ = false;
  return st;
}

Status RaftStorage::save_compaction(const consensus::Snapshot& s) {
  auto st = in_transaction(db_, [&]() -> Status {
    std::optional<uint64_t> stored;
    if (auto q = db_.run("SELECT idx FROM raft_snapshot WHERE id = 1", {},
                         [&](const SqliteDb::Row& r) { stored = stored_uint(r[0]); });
        !q.ok())
      return q;
    if (stored && *stored >= s.meta.index) return Status::Ok();
    if (auto w = write_snapshot(s); !w.ok()) return w;
    return db_.run("DELETE FROM raft_entries WHERE idx <= ?1", {sql_int(s.meta.index)});
  });
  if (!st.ok()) return Status::Error("raft storage: compaction at " + std::to_string(s.meta.index) + " (nothing saved): " + st.error());
  empty_ = false;
  return st;
}

Expected<consensus::Recovered> RaftStorage::recover(const consensus::Membership& initial) const {
  consensus::Recovered out;
  out.initial = initial;
  std::string bad;  // the first damaged row
  const auto damaged = [&](std::string what) {
    if (bad.empty()) bad = std::move(what);
  };

  auto st = db_.run("SELECT term, voted_for, commit_idx FROM raft_hard_state WHERE id = 1", {},
                    [&](const SqliteDb::Row& r) {
                      const auto term = stored_uint(r[0]), commit = stored_uint(r[2]);
                      if (!term || !commit || !std::holds_alternative<std::string>(r[1]))
                        return damaged("hard state: term, voted_for or commit_idx has the wrong type");
                      out.hard_state = {*term, as_text(r[1]), *commit};
                    });
  if (st.ok())
    st = db_.run("SELECT idx, term, membership, data FROM raft_snapshot WHERE id = 1", {}, [&](const SqliteDb::Row& r) {
      const auto idx = stored_uint(r[0]), term = stored_uint(r[1]);
      if (!idx || !term || !std::holds_alternative<std::string>(r[3]))
        return damaged("snapshot: idx, term or data has the wrong type");
      auto m = consensus::decode_membership(as_text(r[2]));
      if (!m.ok()) return damaged("snapshot at " + std::to_string(*idx) + ": " + m.error());
      out.snapshot = consensus::Snapshot{{*idx, *term, std::move(*m)}, as_text(r[3])};
    });
  if (st.ok() && bad.empty()) {
    uint64_t next = out.snapshot ? out.snapshot->meta.index + 1 : 1;
    uint64_t last_term = out.snapshot ? out.snapshot->meta.term : 0;
    st = db_.run("SELECT idx, term, kind, data FROM raft_entries ORDER BY idx", {}, [&](const SqliteDb::Row& r) {
      if (!bad.empty()) return;
      const auto idx = stored_uint(r[0]), term = stored_uint(r[1]), kind = stored_uint(r[2]);
      const std::string where = "entry " + std::to_string(idx.value_or(0));
      if (!idx || *idx != next)
        return damaged(where + ": expected entry " + std::to_string(next) + " (a gap, or not right after the snapshot)");
      if (!term || *term < last_term) return damaged(where + ": term is missing or lower than the entry before");
      if (!kind || *kind > static_cast<uint8_t>(EntryKind::Noop))
        return damaged(where + ": unknown kind " + (kind ? std::to_string(*kind) : "(not a number)"));
      if (!std::holds_alternative<std::string>(r[3])) return damaged(where + ": data is not bytes");
      Entry e{*term, *idx, static_cast<EntryKind>(*kind), as_text(r[3])};
      if (e.kind == EntryKind::Membership)
        if (auto m = consensus::decode_membership(e.data); !m.ok()) return damaged(where + ": " + m.error());
      out.entries.push_back(std::move(e));
      ++next;
      last_term = *term;
    });
  }
  if (!st.ok()) return Status::Error("raft storage: recover: " + st.error());
  if (!bad.empty()) return Status::Error("raft storage: " + bad + kDamaged);
  return out;
}

}  // namespace poolha::store
