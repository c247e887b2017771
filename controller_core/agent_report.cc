#include "controller_core/agent_report.h"

#include <algorithm>

namespace poolha::controller {

std::string report_violation(const wire::Heartbeat& hb, size_t primary_rules) {
  if (static_cast<size_t>(hb.held_vips_size()) > kMaxReportedVips)
    return std::to_string(hb.held_vips_size()) + " held addresses (at most " + std::to_string(kMaxReportedVips) + ")";
  if (static_cast<size_t>(hb.subnets_size()) > kMaxReportedSubnets)
    return std::to_string(hb.subnets_size()) + " subnets (at most " + std::to_string(kMaxReportedSubnets) + ")";
  const size_t monitors = kMaxNodeMonitors + primary_rules * kMaxMonitorsPerRule;
  if (static_cast<size_t>(hb.monitors_size()) > monitors)
    return std::to_string(hb.monitors_size()) + " monitor states (at most " + std::to_string(monitors) +
           " for a node that runs " + std::to_string(primary_rules) + " rule(s))";
  for (const auto& v : hb.held_vips())
    if (v.size() > kMaxReportedNameBytes) return "a held address of " + std::to_string(v.size()) + " bytes";
  for (const auto& s : hb.subnets())
    if (s.size() > kMaxReportedNameBytes) return "a subnet of " + std::to_string(s.size()) + " bytes";
  for (const auto& m : hb.monitors()) {
    if (m.name().size() > kMaxReportedNameBytes || m.rule().size() > kMaxReportedNameBytes)
      return "a monitor or rule name over " + std::to_string(kMaxReportedNameBytes) + " bytes";
    if (m.detail().size() > kMaxReportedDetailBytes)
      return "a monitor detail of " + std::to_string(m.detail().size()) + " bytes (at most " +
             std::to_string(kMaxReportedDetailBytes) + ")";
  }
  return "";
}

bool ReportBudget::take(int64_t now_ms) {
  if (at_ms_ >= 0) {
    const double elapsed_s = static_cast<double>(std::max<int64_t>(0, now_ms - at_ms_)) / 1000.0;
    tokens_ = std::min(kReportBurst, tokens_ + elapsed_s * kReportsPerSecond);
  }
  at_ms_ = now_ms;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

}  // namespace poolha::controller
