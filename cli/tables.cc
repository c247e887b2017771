#include "cli/tables.h"

#include <algorithm>
#include <map>

#include "common/json_text.h"
#include "common/utf8.h"

namespace poolha::cli {

namespace {

// Display width in terminal cells: CJK characters take two.
size_t width(const std::string& s) { return text::display_width(s); }

// What a cell may hold: text from agents and scripts can carry anything, and a newline
// or an escape sequence in a cell would break the table or drive the terminal.
constexpr size_t kMaxCellBytes = 4096;

std::string text(const Json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) return j.get<std::string>().empty() ? "-" : j.get<std::string>();
  if (j.is_boolean()) return j.get<bool>() ? "yes" : "no";
  return json_text(j);
}

// obj[key] as text, "-" if obj is not an object or lacks it.
std::string field(const Json& obj, const std::string& key) {
  if (!obj.is_object() || !obj.contains(key)) return "-";
  return text(obj.at(key));
}

const Json& member(const Json& obj, const std::string& key) {
  static const Json null;
  return obj.is_object() && obj.contains(key) ? obj.at(key) : null;
}

std::string joined(const Json& arr) {
  if (!arr.is_array() || arr.empty()) return "-";
  std::string out;
  for (const auto& v : arr) out += (out.empty() ? "" : ",") + (v.is_string() ? v.get<std::string>() : json_text(v));
  return out;
}

std::string labels_text(const Json& labels) {
  if (!labels.is_object() || labels.empty()) return "-";
  std::string out;
  for (const auto& [k, v] : labels.items()) out += (out.empty() ? "" : ",") + k + "=" + text(v);
  return out;
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add(std::vector<std::string> row) {
  row.resize(headers_.size());
  for (auto& c : row)
    c = c.empty() ? "-" : text::log_safe(c, kMaxCellBytes);
  rows_.push_back(std::move(row));
}

std::string Table::render() const {
  std::vector<size_t> w(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) w[i] = width(headers_[i]);
  for (const auto& r : rows_)
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], width(r[i]));
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(w[i] - width(r[i]) + 2, ' ');
    }
    return out + "\n";
  };
  std::string out = line(headers_);
  for (const auto& r : rows_) out += line(r);
  return out;
}

std::string render_pools(const Json& state) {
  std::map<std::string, int> nodes, rules;
  for (const auto& [id, n] : member(state, "nodes").items()) ++nodes[field(member(n, "spec"), "pool")];
  for (const auto& [id, r] : member(state, "rules").items()) ++rules[field(member(r, "spec"), "pool")];
  Table t({"POOL", "NODES", "RULES", "MIN RATIO", "FROZEN", "RATIO ALERT"});
  for (const auto& [id, p] : member(state, "pools").items()) {
    const Json& spec = member(p, "spec");
    t.add({id, std::to_string(nodes[id]), std::to_string(rules[id]), field(spec, "min_takeover_ratio"),
           field(spec, "frozen"), field(p, "ratio_alert")});
  }
  return t.empty() ? "no pools\n" : t.render();
}

std::string render_nodes(const Json& state, const Json& agents) {
  Table t({"NODE", "POOL", "OS", "LIVENESS", "MAINT", "HEALTHY", "AGENT", "HEARD", "HELD VIPS", "LABELS"});
  for (const auto& [id, n] : member(state, "nodes").items()) {
    const Json& spec = member(n, "spec");
    const Json& agent = member(agents, id);
    std::string conn = "-", heard = "-";
    if (agent.is_object()) {
      conn = member(agent, "connected").is_boolean() && agent["connected"].get<bool>() ? "connected" : "gone";
      if (agent.contains("version") && agent["version"].is_string() && !agent["version"].get<std::string>().empty())
        conn += " " + agent["version"].get<std::string>();
      const Json& ago = member(agent, "last_heard_ms_ago");
      if (ago.is_number() && ago.get<long long>() >= 0) heard = std::to_string(ago.get<long long>()) + "ms ago";
    }
    t.add({id, field(spec, "pool"), field(spec, "os"), field(n, "liveness"), field(n, "maintenance"),
           field(n, "healthy"), conn, heard, joined(member(n, "held_vips")), labels_text(member(spec, "labels"))});
  }
  return t.empty() ? "no nodes\n" : t.render();
}

std::string render_rules(const Json& state) {
  Table t({"RULE", "POOL", "PRIMARY", "STANDBY", "PHASE", "EPOCH", "FROZEN", "VIPS", "LAST ERROR"});
  for (const auto& [id, r] : member(state, "rules").items()) {
    const Json& spec = member(r, "spec");
    Json cidrs = Json::array();
    for (const auto& v : member(spec, "vips")) cidrs.push_back(member(v, "cidr"));
    t.add({id, field(spec, "pool"), field(r, "primary"), field(r, "standby"), field(r, "phase"), field(r, "epoch"),
           field(r, "frozen"), joined(cidrs), field(r, "last_error")});
  }
  return t.empty() ? "no rules\n" : t.render();
}

std::string render_status(const Json& status) {
  const Json& state = member(status, "state");
  std::string out = "controller " + field(status, "controller") + "   term " + field(state, "term") + "   arbiter " +
                    (member(state, "arbiter_reachable").is_boolean()
                         ? (state["arbiter_reachable"].get<bool>() ? "reachable" : "UNREACHABLE")
                         : std::string("-")) +
                    "\n\n";
  out += "POOLS\n" + render_pools(state) + "\n";
  out += "NODES\n" + render_nodes(state, member(status, "agents")) + "\n";
  // A controller pair: nodes another member reports it does not hear (a one-sided fault).
  if (const Json& unheard = member(status, "unheard_by"); unheard.is_object() && !unheard.empty()) {
    out += "NOT HEARD BY ANOTHER MEMBER:";
    for (const auto& [node, by] : unheard.items()) out += " " + node + " (" + joined(by) + ")";
    out += "\n\n";
  }
  out += "RULES\n" + render_rules(state);
  return out;
}

std::string render_rule(const std::string& id, const Json& rule) {
  Table t({"FIELD", "VALUE"});
  t.add({"rule", id});
  for (const char* k : {"primary", "standby", "phase", "epoch", "frozen", "last_error"}) t.add({k, field(rule, k)});
  std::string out = t.render();
  out += "\nspec:\n";
  std::string spec = json_text(member(rule, "spec"), 2);
  std::string indented = "  ";
  for (char c : spec) {
    indented += c;
    if (c == '\n') indented += "  ";
  }
  return out + indented + "\n";
}

std::string render_events(const Json& events) {
  Table t({"ID", "TIME", "KIND", "RULE", "NODE", "OUTCOME", "MS", "ACTOR", "DETAIL"});
  if (events.is_array())
    for (const auto& e : events)
      t.add({field(e, "id"), field(e, "time"), field(e, "kind"), field(e, "rule"), field(e, "node"),
             field(e, "outcome"), field(e, "duration_ms"), field(e, "actor"), field(e, "detail")});
  return t.empty() ? "no events\n" : t.render();
}

std::string render_object(const Json& obj) {
  Table t({"FIELD", "VALUE"});
  if (obj.is_object())
    for (const auto& [k, v] : obj.items()) t.add({k, text(v)});
  return t.render();
}

}  // namespace poolha::cli
