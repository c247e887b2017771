// Validation of operator-supplied specs. Each returns "" when valid, else a message
// naming the field and what is wrong with it.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/ids.h"
#include "rules/model.h"

namespace poolha::rules {

std::string validate_pool(const PoolSpec&);
std::string validate_node(const NodeSpec&);
std::string validate_rule(const RuleSpec&);
std::string validate_settings(const Settings&);

// A monitor, wherever it comes from (a rule through the API, or the agent's own
// agent.yaml): one set of bounds, so an agent runs nothing the controller would refuse.
inline constexpr std::array<const char*, 11> kMonitorKinds = {
    "process", "service", "tcp_port", "http", "cpu", "memory", "disk", "nic_link", "gateway", "log_pattern", "script"};
struct MonitorLimits {
  static constexpr int64_t kMinIntervalMs = 100, kMaxIntervalMs = 3'600'000;
  static constexpr int64_t kMinTimeoutMs = 1, kMaxTimeoutMs = 600'000;
  static constexpr int kMinThreshold = 1, kMaxThreshold = 100;
  static constexpr int kMaxRestarts = 10;
};
struct FieldProblem {
  std::string field;  // "interval_ms"
  std::string what;   // "expected an integer 100..3600000"
};
std::optional<FieldProblem> check_monitor(const MonitorSpec&);
// A revocation: `serial` in canonical form (lowercase hex, no leading zeros, 1..40
// digits), `note` at most 256 bytes.
std::string validate_revocation(const std::string& serial, const std::string& note);
inline constexpr size_t kMaxRevocations = 10000;
using poolha::valid_id;  // common/ids.h: the one rule for names
bool valid_cidr(const std::string&);    // IPv4 or IPv6 address with /prefix
bool valid_script_name(const std::string&);  // a plain file name, no path

}  // namespace poolha::rules
