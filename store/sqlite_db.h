// A thin RAII wrapper over one SQLite connection: open with WAL and full fsync,
// run statements, and prepared statements with bound parameters. Errors are values
// naming the statement and SQLite's message.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace poolha::store {

// Bytes bound as a BLOB (binary data, NUL bytes included). A BLOB column reads back
// as std::string holding the same bytes, so as_text works on it too.
struct SqlBlob {
  explicit SqlBlob(std::string b) : bytes(std::move(b)) {}
  std::string bytes;
};

using SqlValue = std::variant<std::nullptr_t, int64_t, std::string, SqlBlob>;

class SqliteDb {
 public:
  // Opens (creating) `path` with journal_mode=WAL, synchronous=FULL, busy timeout.
  static Expected<std::unique_ptr<SqliteDb>> open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status exec(const std::string& sql);
  // Runs one statement with parameters ?1..?n; `row` is called for every result row.
  using Row = std::vector<SqlValue>;
  Status run(const std::string& sql, const std::vector<SqlValue>& params = {},
             const std::function<void(const Row&)>& row = nullptr);
  int64_t last_insert_rowid() const;
  int changes() const;

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// Accessors for a result row; the wrong type yields the default.
int64_t as_int(const SqlValue& v);
std::string as_text(const SqlValue& v);

}  // namespace poolha::store
