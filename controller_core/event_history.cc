#include "controller_core/event_history.h"

#include <chrono>
#include <ctime>

#include <spdlog/spdlog.h>

#include "common/utf8.h"

namespace poolha::controller {

namespace {
int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Every field is stored as valid UTF-8 within its cap, whoever produced it, and read
// back the same way: a row written by an older version (cut mid-character) must not
// break GET /v1/events.
constexpr size_t kMaxNameBytes = 255;
constexpr size_t kMaxDetailBytes = 4096;

void clean(HistoryEvent& e) {
  e.kind = text::clean_text(e.kind, kMaxNameBytes);
  e.rule = text::clean_text(e.rule, kMaxNameBytes);
  e.node = text::clean_text(e.node, kMaxNameBytes);
  e.outcome = text::clean_text(e.outcome, kMaxNameBytes);
  e.detail = text::clean_text(e.detail, kMaxDetailBytes);
  e.actor = text::clean_text(e.actor, kMaxNameBytes);
}
}  // namespace

Expected<std::unique_ptr<EventHistory>> EventHistory::open(store::SqliteDb& db) {
  auto st = db.exec(
      "CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,"
      " kind TEXT NOT NULL, rule TEXT, node TEXT, outcome TEXT, duration_ms INTEGER, detail TEXT, actor TEXT);"
      "CREATE INDEX IF NOT EXISTS history_rule ON history(rule);"
      "CREATE INDEX IF NOT EXISTS history_node ON history(node);");
  if (!st.ok()) return st;
  return std::unique_ptr<EventHistory>(new EventHistory(db));
}

int64_t EventHistory::record(HistoryEvent e) {
  if (e.time_ms == 0) e.time_ms = wall_ms();
  clean(e);
  auto st = db_.run(
      "INSERT INTO history (time_ms, kind, rule, node, outcome, duration_ms, detail, actor) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
      {e.time_ms, e.kind, e.rule, e.node, e.outcome, e.duration_ms, e.detail, e.actor});
  if (!st.ok()) {
    spdlog::error("event history: {}", st.error());
    return 0;
  }
  e.id = db_.last_insert_rowid();
  if (listener_) listener_(e);
  return e.id;
}

Status EventHistory::complete(int64_t id, const std::string& outcome, int64_t duration_ms, const std::string& detail) {
  auto st = db_.run("UPDATE history SET outcome = ?2, duration_ms = ?3, detail = ?4 WHERE id = ?1",
                    {id, text::clean_text(outcome, kMaxNameBytes), duration_ms, text::clean_text(detail, kMaxDetailBytes)});
  if (st.ok() && listener_) {
    if (auto row = get(id); row.ok()) listener_(*row);
  }
  return st;
}

Expected<HistoryEvent> EventHistory::get(int64_t id) const {
  std::optional<HistoryEvent> out;
  auto st = db_.run("SELECT id, time_ms, kind, rule, node, outcome, duration_ms, detail, actor FROM history WHERE id = ?1",
                    {id}, [&](const store::SqliteDb::Row& r) {
                      out = HistoryEvent{as_int(r[0]), as_int(r[1]), as_text(r[2]), as_text(r[3]), as_text(r[4]),
                                         as_text(r[5]), as_int(r[6]), as_text(r[7]), as_text(r[8])};
                      clean(*out);
                    });
  if (!st.ok()) return st;
  if (!out) return Expected<HistoryEvent>::Error("no history row " + std::to_string(id));
  return *out;
}

Expected<std::vector<HistoryEvent>> EventHistory::query(const HistoryQuery& q) const {
  std::vector<HistoryEvent> out;
  const int limit = std::clamp(q.limit, 1, 10000);
  auto st = db_.run(
      "SELECT id, time_ms, kind, rule, node, outcome, duration_ms, detail, actor FROM history"
      " WHERE (?1 = '' OR rule = ?1) AND (?2 = '' OR node = ?2) ORDER BY id DESC LIMIT ?3",
      {q.rule, q.node, static_cast<int64_t>(limit)}, [&](const store::SqliteDb::Row& r) {
        out.push_back({as_int(r[0]), as_int(r[1]), as_text(r[2]), as_text(r[3]), as_text(r[4]), as_text(r[5]),
                       as_int(r[6]), as_text(r[7]), as_text(r[8])});
        clean(out.back());
      });
  if (!st.ok()) return st;
  std::reverse(out.begin(), out.end());  // oldest first
  return out;
}

nlohmann::json to_json(const HistoryEvent& e) {
  return {{"id", e.id},         {"time", iso8601_utc(e.time_ms)}, {"kind", e.kind},
          {"rule", e.rule},     {"node", e.node},                 {"outcome", e.outcome},
          {"duration_ms", e.duration_ms}, {"detail", e.detail},   {"actor", e.actor}};
}

}  // namespace poolha::controller
