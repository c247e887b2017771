#include "store/single_controller_import.h"

#include <string>
#include <vector>

#include "store/raft_storage.h"

namespace poolha::store {

namespace {

using Result = Expected<std::optional<SingleControllerImport>>;

Expected<bool> table_exists(SqliteDb& db, const std::string& name) {
  bool found = false;
  auto st = db.run("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", {name},
                   [&](const SqliteDb::Row&) { found = true; });
  if (!st.ok()) return st;
  return found;
}

Status drop_old_tables(SqliteDb& db) { return db.exec("DROP TABLE IF EXISTS command_log; DROP TABLE IF EXISTS snapshot"); }

}  // namespace

Result import_single_controller_log(SqliteDb& db, const consensus::Membership& membership) {
  const auto fail = [](const std::string& why) { return Result::Error("single-controller log import: " + why); };
  auto has_log = table_exists(db, "command_log");
  if (!has_log.ok()) return fail(has_log.error());
  if (!*has_log) return std::optional<SingleControllerImport>{};

  std::optional<std::pair<consensus::Index, std::string>> snapshot;
  std::vector<std::pair<consensus::Index, std::string>> commands;
  auto st = db.run("SELECT idx, state FROM snapshot WHERE id = 1", {}, [&](const SqliteDb::Row& r) {
    snapshot.emplace(static_cast<consensus::Index>(as_int(r[0])), as_text(r[1]));
  });
  if (st.ok())
    st = db.run("SELECT idx, event FROM command_log ORDER BY idx", {}, [&](const SqliteDb::Row& r) {
      commands.emplace_back(static_cast<consensus::Index>(as_int(r[0])), as_text(r[1]));
    });
  if (!st.ok()) return fail(st.error());

  auto storage = RaftStorage::open(db);
  if (!storage.ok()) return fail(storage.error());
  if (!snapshot && commands.empty()) {
    if (auto d = drop_old_tables(db); !d.ok()) return fail(d.error());
    return std::optional<SingleControllerImport>{};
  }
  if (!(*storage)->empty())
    return fail("controller.db holds both an old single-controller log (" + std::to_string(commands.size()) +
                " commands) and a Raft log; nobody can tell which is right. Keep a copy of the file, then restore the "
                "one you trust from a backup");

  // The old log kept only entries after its snapshot; they must follow it without a gap.
  const consensus::Index first = snapshot ? snapshot->first + 1 : 1;
  for (size_t i = 0; i < commands.size(); ++i)
    if (commands[i].first != first + i)
      return fail("command " + std::to_string(commands[i].first) + " where " + std::to_string(first + i) +
                  " was expected (a gap in the old log: the database is damaged)");
  const consensus::Index last = commands.empty() ? snapshot->first : commands.back().first;

  SingleControllerImport out{snapshot ? snapshot->first : 0, commands.size(), last + 1};
  consensus::Ready r;
  if (snapshot) r.snapshot = consensus::Snapshot{{snapshot->first, out.term, membership}, snapshot->second};
  for (auto& [idx, event] : commands)
    r.entries.push_back({out.term, idx, consensus::EntryKind::Command, std::move(event)});
  r.hard_state = consensus::HardState{out.term, "", last};
  if (auto s = (*storage)->save(r, [&] { return drop_old_tables(db); }); !s.ok()) return fail(s.error());
  return std::optional<SingleControllerImport>{out};
}

}  // namespace poolha::store
