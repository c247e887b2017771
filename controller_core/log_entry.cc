#include "controller_core/log_entry.h"

#include "access/access_control.h"
#include "access/json_codec.h"
#include "rules/json_codec.h"

namespace poolha::controller {

using Json = nlohmann::json;

std::string LogEntry::name() const {
  if (const auto* e = event()) return rules::event_name(*e);
  return access::change_name(*change());
}

Json to_json(const LogEntry& e) {
  Json j = e.event() ? rules::to_json(*e.event()) : access::to_json(*e.change());
  if (e.by) j["by"] = access::to_json(*e.by);
  return j;
}

Expected<LogEntry> entry_from_json(const Json& in) {
  if (!in.is_object() || !in.contains("type") || !in["type"].is_string())
    return Expected<LogEntry>::Error("entry: expected an object with a string field 'type'");
  Json j = in;
  std::optional<access::Actor> by;
  if (j.contains("by")) {
    auto a = access::actor_from_json(j["by"]);
    if (!a.ok()) return a.status();
    by = std::move(*a);
    j.erase("by");
  }
  if (access::is_change_type(j["type"].get<std::string>())) {
    auto c = access::change_from_json(j);
    if (!c.ok()) return c.status();
    if (!by) return Expected<LogEntry>::Error("entry: an access change without 'by'");
    return LogEntry(std::move(*c), std::move(*by));
  }
  auto ev = rules::event_from_json(j);
  if (!ev.ok()) return ev.status();
  return LogEntry(std::move(*ev), std::move(by));
}

Json to_json(const CoreSnapshot& s) { return Json{{"engine", rules::to_json(s.engine)}, {"access", access::to_json(s.access)}}; }

Expected<CoreSnapshot> snapshot_from_json(const Json& j) {
  if (!j.is_object()) return Expected<CoreSnapshot>::Error("snapshot: expected an object");
  if (!j.contains("engine")) {  // before accounts existed: the engine's state alone
    auto st = rules::state_from_json(j);
    if (!st.ok()) return st.status();
    return CoreSnapshot{std::move(*st), {}};
  }
  for (const auto& [k, v] : j.items())
    if (k != "engine" && k != "access") return Expected<CoreSnapshot>::Error("snapshot: unknown field '" + k + "'");
  auto engine = rules::state_from_json(j["engine"]);
  if (!engine.ok()) return engine.status();
  access::State acc;
  if (j.contains("access")) {
    auto a = access::state_from_json(j["access"]);
    if (!a.ok()) return a.status();
    acc = std::move(*a);
  }
  return CoreSnapshot{std::move(*engine), std::move(acc)};
}

}  // namespace poolha::controller
