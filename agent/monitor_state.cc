#include "agent/monitor_state.h"

#include <algorithm>

namespace poolha::agent {

MonitorState::MonitorState(int threshold, int restarts) : threshold_(std::max(1, threshold)), restarts_(std::max(0, restarts)) {}

MonitorState::Step MonitorState::on_result(bool ok, const std::string& detail) {
  if (ok) {
    const bool was_failed = !healthy_;
    healthy_ = true;
    failures_ = 0;
    restarts_used_ = 0;
    restart_pending_ = false;
    detail_ = detail;
    return was_failed ? Step::Recovered : Step::None;
  }
  if (!healthy_ || restart_pending_) return Step::None;  // already reported / a restart is running
  ++failures_;
  if (failures_ < threshold_) return Step::None;
  if (restarts_used_ < restarts_) {
    ++restarts_used_;
    restart_pending_ = true;
    detail_ = detail;
    return Step::Restart;
  }
  healthy_ = false;
  detail_ = detail;
  if (restarts_ > 0) detail_ += " (after " + std::to_string(restarts_used_) + " local restart(s))";
  return Step::Failed;
}

void MonitorState::restarted(const std::string& what_happened) {
  restart_pending_ = false;
  failures_ = 0;
  if (!what_happened.empty()) detail_ = what_happened;
}

}  // namespace poolha::agent
