#include "controller/sqlite_command_log.h"

#include "common/json_text.h"
#include "rules/json_codec.h"

namespace poolha::controller {

Expected<std::unique_ptr<SqliteCommandLog>> SqliteCommandLog::open(store::SqliteDb& db) {
  auto st = db.exec(
      "CREATE TABLE IF NOT EXISTS command_log (idx INTEGER PRIMARY KEY, event TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), idx INTEGER NOT NULL, state TEXT NOT NULL);");
  if (!st.ok()) return st;
  std::unique_ptr<SqliteCommandLog> log(new SqliteCommandLog(db));
  int64_t last = 0;
  st = db.run("SELECT COALESCE(MAX(idx), 0) FROM command_log", {}, [&](const store::SqliteDb::Row& r) { last = as_int(r[0]); });
  if (!st.ok()) return st;
  int64_t snap = 0;
  st = db.run("SELECT idx FROM snapshot WHERE id = 1", {}, [&](const store::SqliteDb::Row& r) { snap = as_int(r[0]); });
  if (!st.ok()) return st;
  log->last_ = static_cast<uint64_t>(std::max(last, snap));
  return log;
}

Expected<uint64_t> SqliteCommandLog::append(const rules::Event& e) {
  const uint64_t idx = last_ + 1;
  auto st = db_.run("INSERT INTO command_log (idx, event) VALUES (?1, ?2)",
                    {static_cast<int64_t>(idx), json_text(rules::to_json(e))});
  if (!st.ok()) return Expected<uint64_t>::Error("command log append: " + st.error());
  last_ = idx;
  return idx;
}

Expected<RecoveredLog> SqliteCommandLog::recover() {
  RecoveredLog out;
  std::string state_text;
  auto st = db_.run("SELECT idx, state FROM snapshot WHERE id = 1", {}, [&](const store::SqliteDb::Row& r) {
    out.snapshot_index = static_cast<uint64_t>(as_int(r[0]));
    state_text = as_text(r[1]);
  });
  if (!st.ok()) return st;
  if (!state_text.empty()) {
    auto j = rules::Json::parse(state_text, nullptr, false);
    if (j.is_discarded()) return Expected<RecoveredLog>::Error("snapshot: not valid JSON (database damaged?)");
    auto s = rules::state_from_json(j);
    if (!s.ok()) return Expected<RecoveredLog>::Error("snapshot: " + s.error());
    out.snapshot = std::move(*s);
  }
  std::string bad;
  st = db_.run("SELECT idx, event FROM command_log WHERE idx > ?1 ORDER BY idx",
               {static_cast<int64_t>(out.snapshot_index)}, [&](const store::SqliteDb::Row& r) {
                 if (!bad.empty()) return;
                 auto j = rules::Json::parse(as_text(r[1]), nullptr, false);
                 auto ev = j.is_discarded() ? Expected<rules::Event>::Error("not valid JSON") : rules::event_from_json(j);
                 if (!ev.ok()) {
                   bad = "command " + std::to_string(as_int(r[0])) + ": " + ev.error();
                   return;
                 }
                 out.entries.push_back({static_cast<uint64_t>(as_int(r[0])), std::move(*ev)});
               });
  if (!st.ok()) return st;
  if (!bad.empty()) return Expected<RecoveredLog>::Error("command log: " + bad);
  return out;
}

Status SqliteCommandLog::snapshot(uint64_t index, const rules::ClusterState& state) {
  if (auto st = db_.exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  auto st = db_.run("INSERT OR REPLACE INTO snapshot (id, idx, state) VALUES (1, ?1, ?2)",
                    {static_cast<int64_t>(index), json_text(rules::to_json(state))});
  if (st.ok()) st = db_.run("DELETE FROM command_log WHERE idx <= ?1", {static_cast<int64_t>(index)});
  if (!st.ok()) {
    (void)db_.exec("ROLLBACK");
    return st;
  }
  return db_.exec("COMMIT");
}

}  // namespace poolha::controller
