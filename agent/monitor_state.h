// The confirmation logic of one monitor (design §3.1), as a pure value: feed it
// check results, read the confirmed state and whether to try a local restart.
// No clock, no I/O; the scheduler (monitor_scheduler.h) drives it.
//
//   * `threshold` consecutive failures confirm a failure ("confirmed several
//     times before acting");
//   * with restarts = N > 0, each confirmed failure first asks for a restart,
//     up to N times; after each restart the count starts again from zero; only
//     a confirmation after the N-th restart reports the monitor failed;
//   * one success clears everything: healthy, counts and restarts used.
#pragma once

#include <string>

namespace poolha::agent {

class MonitorState {
 public:
  enum class Step {
    None,     // nothing to do
    Restart,  // run the restart script now, then call restarted()
    Failed,   // just became confirmed failed (report it)
    Recovered,  // just became healthy again after a confirmed failure (report it)
  };

  // REQUIRES: threshold >= 1, restarts >= 0.
  MonitorState(int threshold, int restarts);

  Step on_result(bool healthy, const std::string& detail);
  // After the restart script ran (whatever its outcome); starts a fresh count.
  void restarted(const std::string& what_happened);

  bool healthy() const { return healthy_; }  // the confirmed state
  const std::string& detail() const { return detail_; }
  int consecutive_failures() const { return failures_; }
  int restarts_used() const { return restarts_used_; }

 private:
  int threshold_;
  int restarts_;
  int failures_ = 0;
  int restarts_used_ = 0;
  bool healthy_ = true;
  bool restart_pending_ = false;
  std::string detail_;
};

}  // namespace poolha::agent
