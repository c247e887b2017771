// What one agent may put into the replicated state (issue 9 §3: "one compromised or
// broken peer stays contained"). Every heartbeat carries the agent's held addresses,
// subnets and monitor states, and each change becomes a log entry on every member:
// unbounded, one agent key could fill the disks, stall the loop with fsyncs and grow
// the snapshot past what a lagging member can receive.
//
// A report that breaks a bound is refused whole: the agent still counts as heard
// (its echo keeps its lease), but nothing it said enters the log; the refusal is
// counted and shown (GET /v1/status, alert agent_report_refused). Changes that do fit
// are rate-limited per node: a burst of kReportBurst, then kReportsPerSecond; a
// change held back is proposed by a later heartbeat (they carry the whole state).
//
// Pure: no clock of its own, no I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "wire/poolha.pb.h"

namespace poolha::controller {

inline constexpr size_t kMaxReportedVips = 256;
inline constexpr size_t kMaxReportedSubnets = 64;
inline constexpr size_t kMaxNodeMonitors = 64;       // agent.yaml's own limit
inline constexpr size_t kMaxMonitorsPerRule = 32;    // rules::validate_rule's limit
inline constexpr size_t kMaxReportedNameBytes = 128;  // a cidr, a monitor or rule name
inline constexpr size_t kMaxReportedDetailBytes = 1024;
inline constexpr double kReportsPerSecond = 10;
inline constexpr double kReportBurst = 20;

// Why `hb` breaks a bound, for a node that is primary of `primary_rules` rules; empty
// when it fits.
std::string report_violation(const wire::Heartbeat& hb, size_t primary_rules);

// Per-node token bucket for proposals caused by an agent's reports.
class ReportBudget {
 public:
  // True (and one token spent) if a proposal may go now.
  bool take(int64_t now_ms);

 private:
  double tokens_ = kReportBurst;
  int64_t at_ms_ = -1;
};

}  // namespace poolha::controller
