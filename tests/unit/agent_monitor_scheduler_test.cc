// The monitor scheduler over the in-memory host (tests/support/fake_host_ops.h): a real
// event loop and worker pool, checks and restart scripts from the fake. What it must do
// (design §3.1): count consecutive failures to the threshold, run the restart script
// the spec allows before reporting, report at once (on_change), clear on one success,
// and run nothing for a spec the host refused.
#include "agent/monitor_scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "tests/support/fake_host_ops.h"

namespace poolha::agent {
namespace {

using testing::FakeHostOps;
using namespace std::chrono;

class MonitorSchedulerTest : public ::testing::Test {
 protected:
  MonitorSchedulerTest() : host_({Interface{"eth0", "02:00:00:00:00:05", true, true, {"198.18.1.5/24"}}}) {}

  std::shared_ptr<MonitorScheduler> make(rules::MonitorSpec spec, std::string invalid = "") {
    return std::make_shared<MonitorScheduler>(io_, pool_, host_, CheckPolicy{}, "h1", "r1", std::move(spec),
                                              std::move(invalid), [this] { ++changes_; });
  }
  // Runs the loop until `done` or `limit` (bounded: a failing test ends, it does not hang).
  bool run_until(const std::function<bool()>& done, milliseconds limit = milliseconds(3000)) {
    auto guard = boost::asio::make_work_guard(io_);
    const auto end = steady_clock::now() + limit;
    while (!done() && steady_clock::now() < end) io_.run_for(milliseconds(5));
    return done();
  }
  int count(const std::string& call) const {
    const auto calls = host_.calls();
    return static_cast<int>(std::count(calls.begin(), calls.end(), call));
  }
  static rules::MonitorSpec cpu(int threshold, int restarts) {
    rules::MonitorSpec s;
    s.name = "load";
    s.kind = "cpu";
    s.interval_ms = 10;  // the logic, not the product's timing (design §4 is checked end to end)
    s.timeout_ms = 10;
    s.threshold = threshold;
    s.restarts = restarts;
    if (restarts > 0) s.restart_script = "fix.sh";
    return s;
  }

  boost::asio::io_context io_;
  WorkerPool pool_{2};
  FakeHostOps host_;
  int changes_ = 0;
};

TEST_F(MonitorSchedulerTest, ThresholdThenRestartThenReportThenRecover) {
  host_.set_check("cpu", CheckResult{false, "load 97%"});
  host_.set_script("fix.sh", ScriptRun{0, false, "restarted", milliseconds(1)});
  auto m = make(cpu(2, 1));
  m->start();
  ASSERT_TRUE(run_until([&] { return !m->status().healthy(); })) << "never reported";
  const int checks_to_report = count("check cpu");
  EXPECT_EQ(count("script fix.sh"), 1);  // one restart, then a fresh count of 2 before the report
  EXPECT_GE(checks_to_report, 4);
  EXPECT_NE(m->status().detail().find("load 97%"), std::string::npos) << m->status().detail();
  EXPECT_EQ(changes_, 1);

  host_.set_check("cpu", CheckResult{true, "load 12%"});
  ASSERT_TRUE(run_until([&] { return m->status().healthy(); })) << "never recovered";
  EXPECT_EQ(changes_, 2);
  m->stop();
  std::printf("checks until the report: %d (threshold 2, 1 restart), restarts run: %d\n", checks_to_report,
              count("script fix.sh"));
}

TEST_F(MonitorSchedulerTest, AFailingRestartScriptStillEndsInAReport) {
  host_.set_check("cpu", CheckResult{false, "load 97%"});
  host_.set_script("fix.sh", ScriptRun{3, false, "cannot restart", milliseconds(1)});
  auto m = make(cpu(1, 1));
  m->start();
  ASSERT_TRUE(run_until([&] { return !m->status().healthy(); }));
  EXPECT_EQ(count("script fix.sh"), 1);
  m->stop();
}

TEST_F(MonitorSchedulerTest, ARefusedSpecRunsNothingAndIsUnhealthyWithTheReason) {
  auto m = make(cpu(1, 0), "log_pattern path outside log_dirs");
  m->start();
  run_until([] { return false; }, milliseconds(100));
  EXPECT_FALSE(m->status().healthy());
  EXPECT_NE(m->status().detail().find("outside log_dirs"), std::string::npos) << m->status().detail();
  EXPECT_EQ(count("check cpu"), 0);
  m->stop();
}

TEST_F(MonitorSchedulerTest, StoppedMonitorRunsNoMoreChecks) {
  auto m = make(cpu(1, 0));
  m->start();
  ASSERT_TRUE(run_until([&] { return count("check cpu") >= 2; }));
  m->stop();
  run_until([] { return false; }, milliseconds(30));  // let a check in flight come back
  const int after_stop = count("check cpu");
  run_until([] { return false; }, milliseconds(100));
  EXPECT_EQ(count("check cpu"), after_stop);
}

}  // namespace
}  // namespace poolha::agent
