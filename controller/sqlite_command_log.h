// The single controller's CommandLog: rows of (index, event JSON) plus one snapshot
// row, in the controller's SQLite database. Every append is its own fsynced
// transaction, so an acknowledged command survives a crash or power loss.
#pragma once
#include "controller/command_log.h"
#include "store/sqlite_db.h"

namespace poolha::controller {

class SqliteCommandLog : public CommandLog {
 public:
  // Creates the tables if needed. REQUIRES: db outlives this object.
  static Expected<std::unique_ptr<SqliteCommandLog>> open(store::SqliteDb& db);

  Expected<uint64_t> append(const rules::Event& e) override;
  Expected<RecoveredLog> recover() override;
  Status snapshot(uint64_t index, const rules::ClusterState& state) override;
  uint64_t last_index() const override { return last_; }

 private:
  explicit SqliteCommandLog(store::SqliteDb& db) : db_(db) {}
  store::SqliteDb& db_;
  uint64_t last_ = 0;
};

}  // namespace poolha::controller
