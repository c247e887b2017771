// Human output of poolhactl: plain aligned tables, read from the API's JSON as the
// controller sends it (docs/cli.md). Missing fields show as "-", so a newer or older
// controller still renders. --json output never comes through here.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace poolha::cli {

using Json = nlohmann::json;

class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  // Columns separated by two spaces, headers first; no trailing spaces.
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// `status` is the body of GET /v1/status.
std::string render_status(const Json& status);
std::string render_pools(const Json& state);
std::string render_nodes(const Json& state, const Json& agents);
std::string render_rules(const Json& state);
// One rule in full: runtime state, then its spec as indented JSON.
std::string render_rule(const std::string& id, const Json& rule);
// `events` is the "events" array of GET /v1/events.
std::string render_events(const Json& events);
// Key/value table of a flat object (settings).
std::string render_object(const Json& obj);

}  // namespace poolha::cli
