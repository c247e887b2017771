#include "store/sqlite_db.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace poolha::store {

Expected<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::string& path) {
  // The database holds the cluster's state, script output and the audit history:
  // owner-only (issue 9 §4), also a file an older version created 0644. SQLite gives
  // its -wal and -shm files the database file's mode.
  if (::access(path.c_str(), F_OK) == 0 && ::chmod(path.c_str(), 0600) != 0)
    return Expected<std::unique_ptr<SqliteDb>>::Error("open database '" + path + "': chmod 600: " + std::strerror(errno));
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Expected<std::unique_ptr<SqliteDb>>::Error("open database '" + path + "': " + msg);
  }
  std::unique_ptr<SqliteDb> out(new SqliteDb(db));
  sqlite3_busy_timeout(db, 5000);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"})
    if (auto st = out->exec(pragma); !st.ok()) return Expected<std::unique_ptr<SqliteDb>>::Error("'" + path + "': " + st.error());
  // sqlite3_open_v2 creates the file lazily on first write: make sure it is 0600 now.
  if (::chmod(path.c_str(), 0600) != 0 && errno != ENOENT)
    return Expected<std::unique_ptr<SqliteDb>>::Error("open database '" + path + "': chmod 600: " + std::strerror(errno));
  return out;
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

Status SqliteDb::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::Error("sql '" + sql.substr(0, 60) + "': " + msg);
  }
  return Status::Ok();
}

Status SqliteDb::run(const std::string& sql, const std::vector<SqlValue>& params,
                     const std::function<void(const Row&)>& row) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    return Status::Error("sql '" + sql.substr(0, 60) + "': " + sqlite3_errmsg(db_));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(st, sqlite3_finalize);
  for (size_t i = 0; i < params.size(); ++i) {
    const int idx = static_cast<int>(i + 1);
    if (std::holds_alternative<int64_t>(params[i])) sqlite3_bind_int64(st, idx, std::get<int64_t>(params[i]));
    else if (std::holds_alternative<std::string>(params[i])) {
      const auto& s = std::get<std::string>(params[i]);
      sqlite3_bind_text(st, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    } else if (std::holds_alternative<SqlBlob>(params[i])) {
      // bind_zeroblob: an empty blob must stay a blob, not become NULL.
      const auto& b = std::get<SqlBlob>(params[i]).bytes;
      if (b.empty()) sqlite3_bind_zeroblob(st, idx, 0);
      else sqlite3_bind_blob(st, idx, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
    } else sqlite3_bind_null(st, idx);
  }
  for (;;) {
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return Status::Ok();
    if (rc != SQLITE_ROW) return Status::Error("sql '" + sql.substr(0, 60) + "': " + sqlite3_errmsg(db_));
    if (!row) continue;
    Row r;
    const int n = sqlite3_column_count(st);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(st, c)) {
        case SQLITE_INTEGER: r.emplace_back(static_cast<int64_t>(sqlite3_column_int64(st, c))); break;
        case SQLITE_NULL: r.emplace_back(nullptr); break;
        case SQLITE_BLOB: {
          const auto* p = static_cast<const char*>(sqlite3_column_blob(st, c));
          r.emplace_back(std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, c))));
          break;
        }
        default: {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
          r.emplace_back(std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, c))));
        }
      }
    }
    row(r);
  }
}

int64_t SqliteDb::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int SqliteDb::changes() const { return sqlite3_changes(db_); }

int64_t as_int(const SqlValue& v) { return std::holds_alternative<int64_t>(v) ? std::get<int64_t>(v) : 0; }
std::string as_text(const SqlValue& v) { return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : ""; }

}  // namespace poolha::store
