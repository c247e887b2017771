// One entry of the replicated log, and the snapshot of everything the log builds: the
// engine's events and state (rules/) beside the access changes and state (access/).
// An entry an operator caused carries who did it (access::Actor): every member turns
// it into the same audit record when it applies. Entries the controller makes itself
// (heartbeats, results, ticks) carry no actor and are not audited.
//
// JSON: an engine event is its rules/json_codec form, plus "by" when an operator made
// it; an access change is its access/json_codec form ("type": "access.*") plus "by".
// A snapshot is {"engine": ..., "access": ...}; a snapshot from before accounts
// existed (the bare engine state) still reads, with an empty access state.
#pragma once
#include <optional>
#include <type_traits>
#include <variant>

#include "access/changes.h"
#include "access/model.h"
#include "common/status.h"
#include "rules/events.h"
#include "rules/model.h"
#include <nlohmann/json.hpp>

namespace poolha::controller {

struct LogEntry {
  std::variant<rules::Event, access::Change> body;
  std::optional<access::Actor> by;

  LogEntry(rules::Event e, std::optional<access::Actor> who = std::nullopt) : body(std::move(e)), by(std::move(who)) {}
  LogEntry(access::Change c, access::Actor who) : body(std::move(c)), by(std::move(who)) {}
  // Any engine event type (rules::SetTerm{...}) converts, as rules::Event does.
  template <class E>
    requires(std::is_constructible_v<rules::Event, E> && !std::is_same_v<std::decay_t<E>, rules::Event>)
  LogEntry(E e) : body(rules::Event(std::move(e))) {}  // NOLINT: implicit by design

  const rules::Event* event() const { return std::get_if<rules::Event>(&body); }
  const access::Change* change() const { return std::get_if<access::Change>(&body); }
  // "switchover", "access.login", ...
  std::string name() const;
};

struct CoreSnapshot {
  rules::ClusterState engine;
  access::State access;
};

nlohmann::json to_json(const LogEntry& e);
Expected<LogEntry> entry_from_json(const nlohmann::json& j);
nlohmann::json to_json(const CoreSnapshot& s);
Expected<CoreSnapshot> snapshot_from_json(const nlohmann::json& j);

}  // namespace poolha::controller
