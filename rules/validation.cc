#include "rules/validation.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "common/net_address.h"

namespace poolha::rules {

bool valid_cidr(const std::string& cidr) {
  const auto c = net::parse_cidr(cidr);
  return c && c->prefix >= 1;
}

bool valid_script_name(const std::string& name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

std::string validate_pool(const PoolSpec& p) {
  if (!valid_id(p.id)) return "pool.id '" + p.id + "': use 1-63 letters, digits, '.', '_' or '-'";
  if (!(p.min_takeover_ratio >= 0.1 && p.min_takeover_ratio <= 1.0))
    return "pool " + p.id + ": min_takeover_ratio must be between 0.1 and 1.0 (10%-100%)";
  return "";
}

std::string validate_node(const NodeSpec& n) {
  if (!valid_id(n.id)) return "node.id '" + n.id + "': use 1-63 letters, digits, '.', '_' or '-'";
  if (n.pool.empty()) return "node " + n.id + ": pool is required";
  if (n.os != "linux" && n.os != "windows") return "node " + n.id + ": os must be linux or windows, not '" + n.os + "'";
  if (n.capacity < 0 || n.capacity > 1000) return "node " + n.id + ": capacity must be 0..1000";
  if (n.priority < 0 || n.priority > 1000000) return "node " + n.id + ": priority must be 0..1000000";
  for (const auto& [k, v] : n.labels)
    if (k.empty() || k.size() > 63 || v.size() > 255) return "node " + n.id + ": label '" + k + "' is empty or too long";
  return "";
}

std::string validate_rule(const RuleSpec& r) {
  const std::string at = "rule " + r.id + ": ";
  if (!valid_id(r.id)) return "rule.id '" + r.id + "': use 1-63 letters, digits, '.', '_' or '-'";
  if (r.pool.empty()) return at + "pool is required";
  if (r.os != "linux" && r.os != "windows") return at + "os must be linux or windows, not '" + r.os + "'";
  if (r.vips.empty()) return at + "vips: at least one VIP is required";
  if (r.vips.size() > 16) return at + "vips: at most 16 VIPs";
  std::set<std::string> seen;
  for (const auto& v : r.vips) {
    if (!valid_cidr(v.cidr)) return at + "vips: '" + v.cidr + "' is not an address/prefix such as 198.18.1.10/24";
    // A VIP's prefix is its subnet's: /1 is half of IPv4, not a subnet hosts share.
    const bool v6 = v.cidr.find(':') != std::string::npos;
    if (std::stoi(v.cidr.substr(v.cidr.find('/') + 1)) < (v6 ? 16 : 8))
      return at + "vips: " + v.cidr + " is wider than /" + (v6 ? "16" : "8") + "; give the prefix of the subnet the VIP lives in";
    if (!seen.insert(v.cidr).second) return at + "vips: " + v.cidr + " listed twice";
    if (!v.interface.empty() && !valid_id(v.interface)) return at + "vips: interface '" + v.interface + "' is not a valid name";
  }
  for (const auto& [field, s] : {std::pair{"acquire_script", &r.acquire_script}, std::pair{"release_script", &r.release_script}})
    if (!s->empty() && !valid_script_name(*s))
      return at + field + ": '" + *s + "' must be a plain file name in the agent's script directory (no '/')";
  if (r.script_timeout_ms < 100 || r.script_timeout_ms > 600000) return at + "script_timeout_ms must be 100..600000";
  if (r.failback_delay_ms < 0) return at + "failback_delay_ms must not be negative";
  for (const auto& [field, m] : {std::pair{"failback_window_start_min", r.failback_window_start_min},
                                 std::pair{"failback_window_end_min", r.failback_window_end_min}})
    if (m < 0 || m > 1440) return at + field + " must be 0..1440 (minutes of the day)";
  if (!r.group.empty() && !valid_id(r.group)) return at + "group '" + r.group + "' is not a valid name";
  for (const auto& a : r.anti_affinity)
    if (a == r.id) return at + "anti_affinity cannot name the rule itself";
  if (!r.fixed_target.empty() && !valid_id(r.fixed_target)) return at + "fixed_target is not a valid node id";
  if (!r.from_template.empty() && !valid_id(r.from_template)) return at + "from_template is not a valid template name";
  if (r.monitors.size() > 32) return at + "monitors: at most 32";
  std::set<std::string> names;
  for (const auto& m : r.monitors) {
    const std::string mat = at + "monitor '" + m.name + "': ";
    if (!valid_id(m.name)) return at + "monitor name '" + m.name + "': " + kIdRule;
    if (!names.insert(m.name).second) return mat + "name used twice";
    if (auto p = check_monitor(m)) return mat + p->field + ": " + p->what;
  }
  return "";
}

std::optional<FieldProblem> check_monitor(const MonitorSpec& m) {
  using L = MonitorLimits;
  auto range = [](const char* field, int64_t v, int64_t lo, int64_t hi) -> std::optional<FieldProblem> {
    if (v >= lo && v <= hi) return std::nullopt;
    return FieldProblem{field, "expected an integer " + std::to_string(lo) + ".." + std::to_string(hi)};
  };
  if (!valid_id(m.name)) return FieldProblem{"name", std::string("expected ") + kIdRule};
  if (std::find(kMonitorKinds.begin(), kMonitorKinds.end(), m.kind) == kMonitorKinds.end()) {
    std::string all;
    for (const char* k : kMonitorKinds) all += (all.empty() ? "" : " | ") + std::string(k);
    return FieldProblem{"kind", "expected " + all};
  }
  if (auto p = range("interval_ms", m.interval_ms, L::kMinIntervalMs, L::kMaxIntervalMs)) return p;
  if (auto p = range("timeout_ms", m.timeout_ms, L::kMinTimeoutMs, L::kMaxTimeoutMs)) return p;
  if (auto p = range("threshold", m.threshold, L::kMinThreshold, L::kMaxThreshold)) return p;
  if (auto p = range("restarts", m.restarts, 0, L::kMaxRestarts)) return p;
  if (m.restarts > 0 && m.restart_script.empty()) return FieldProblem{"restart_script", "required when restarts > 0"};
  if (!m.restart_script.empty() && !valid_script_name(m.restart_script))
    return FieldProblem{"restart_script", "expected a plain file name in script_dir (letters, digits, '.', '_', '-')"};
  return std::nullopt;
}

std::string validate_revocation(const std::string& serial, const std::string& note) {
  bool hex = !serial.empty() && serial.size() <= 40 && (serial == "0" || serial[0] != '0');
  for (char c : serial) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!hex) return "serial '" + serial.substr(0, 64) + "': expected 1..40 lowercase hex digits without leading zeros";
  if (note.size() > 256) return "note: at most 256 bytes";
  return "";
}

std::string validate_settings(const Settings& s) {
  if (s.heartbeat_interval_ms < 20 || s.heartbeat_interval_ms > 10000) return "heartbeat_interval_ms must be 20..10000";
  if (s.suspect_after_ms < 2 * s.heartbeat_interval_ms) return "suspect_after_ms must be at least twice heartbeat_interval_ms";
  if (s.isolation_timeout_ms < s.heartbeat_interval_ms * 2) return "isolation_timeout_ms must be at least twice heartbeat_interval_ms";
  if (s.drift_margin_ms < 0) return "drift_margin_ms must not be negative";
  if (s.conflict_retry_ms < 100) return "conflict_retry_ms must be at least 100";
  if (s.arbiter_recheck_ms < 50) return "arbiter_recheck_ms must be at least 50";
  return "";
}

}  // namespace poolha::rules
