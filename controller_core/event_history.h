// What happened, for operators (design §3.5 event timeline, "poolhactl events"): one
// row per action sent and its outcome (with duration), alert, operator command and
// liveness change. Not part of the command log: it records what the controller did,
// not what it decided.
#pragma once
#include <nlohmann/json.hpp>
#include <functional>

#include "common/time_text.h"
#include "store/sqlite_db.h"

namespace poolha::controller {

struct HistoryEvent {
  int64_t id = 0;
  int64_t time_ms = 0;  // wall clock, ms since the epoch
  std::string kind;     // e.g. "acquire", "release", "alert:vip_conflict", "operator:switchover", "node:unreachable"
  std::string rule;
  std::string node;
  std::string outcome;  // "ok", "failed", "sent", "rejected", ...
  int64_t duration_ms = 0;
  std::string detail;
  std::string actor;  // "controller" or the operator certificate's name
};

struct HistoryQuery {
  std::string rule;
  std::string node;
  int limit = 100;
};

class EventHistory {
 public:
  static Expected<std::unique_ptr<EventHistory>> open(store::SqliteDb& db);
  // Records an event (time filled in when zero); returns its id, 0 if it could not be stored.
  int64_t record(HistoryEvent e);
  Status complete(int64_t id, const std::string& outcome, int64_t duration_ms, const std::string& detail);
  Expected<std::vector<HistoryEvent>> query(const HistoryQuery& q) const;
  Expected<HistoryEvent> get(int64_t id) const;
  // Told of every row written or completed (the console's live timeline).
  void set_listener(std::function<void(const HistoryEvent&)> f) { listener_ = std::move(f); }

 private:
  explicit EventHistory(store::SqliteDb& db) : db_(db) {}
  store::SqliteDb& db_;
  std::function<void(const HistoryEvent&)> listener_;
};

nlohmann::json to_json(const HistoryEvent& e);

}  // namespace poolha::controller
