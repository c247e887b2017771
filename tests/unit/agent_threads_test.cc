// The agent's threaded parts, run concurrently the way the daemon runs them: the
// isolation lease (event loop renews, workers list and unlist, the heartbeat reads),
// monitors on a worker pool reporting to the event loop, and an acquire on a worker
// with its announcements on another. Meant for ThreadSanitizer (scripts/sanitize.sh
// builds it with -fsanitize=thread); in the plain build it checks the outcomes.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "agent/action_runner.h"
#include "agent/monitor_scheduler.h"
#include "agent/worker_pool.h"
#include "tests/support/fake_host_ops.h"

namespace poolha::agent {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

class AgentThreadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("poolha-threads-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto file = LeaseFile::open((dir_ / "lease").string(), true);
    ASSERT_TRUE(file.ok()) << file.error();
    lease_ = std::make_unique<IsolationLease>(std::move(*file), IsolationResponse::Release);
    ASSERT_TRUE(lease_->renew(60'000));
  }
  void TearDown() override {
    lease_.reset();
    fs::remove_all(dir_);
  }
  fs::path dir_;
  std::unique_ptr<IsolationLease> lease_;
  testing::FakeHostOps host_{{{"eth0", "02:00:00:00:00:01", true, true, {"198.18.1.5/24"}}}};
};

TEST_F(AgentThreadsTest, LeaseUnderConcurrentRenewListAndRead) {
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::thread renewer([&] {
    while (!stop) (void)lease_->renew(60'000);
  });
  std::thread lister([&] {
    for (int i = 0; !stop; ++i) {
      const std::string cidr = "198.18.1." + std::to_string(10 + i % 20) + "/24";
      (void)lease_->list({"r1", "eth0", cidr, false});
      lease_->confirm("eth0", cidr);
      lease_->unlist("eth0", cidr);
    }
  });
  std::thread reader([&] {
    while (!stop) {
      reads += static_cast<long>(lease_->held().size() + lease_->confirmed_cidrs().size());
      (void)lease_->hold_current();
      (void)lease_->take_released_by_keeper();
    }
  });
  std::this_thread::sleep_for(milliseconds(300));
  stop = true;
  renewer.join();
  lister.join();
  reader.join();
  EXPECT_TRUE(lease_->hold_current());
}

TEST_F(AgentThreadsTest, MonitorsOnWorkersReportToTheEventLoop) {
  boost::asio::io_context io;
  WorkerPool pool(3);
  std::atomic<int> changes{0};
  host_.set_check("tcp_port", {false, "refused"});
  rules::MonitorSpec spec;
  spec.kind = "tcp_port";
  spec.interval_ms = 5;
  spec.timeout_ms = 5;
  spec.threshold = 1;
  std::vector<std::shared_ptr<MonitorScheduler>> mons;
  for (int i = 0; i < 6; ++i) {
    spec.name = "m" + std::to_string(i);
    mons.push_back(std::make_shared<MonitorScheduler>(io, pool, host_, CheckPolicy{}, "h1", "r1", spec, "",
                                                      [&] { ++changes; }));
  }
  for (auto& m : mons) m->start();
  // The loop must not run out of work while every check is on a worker.
  auto guard = boost::asio::make_work_guard(io);
  std::thread loop([&] { io.run_for(milliseconds(300)); });
  loop.join();
  guard.reset();
  for (auto& m : mons) m->stop();
  io.restart();
  io.run_for(milliseconds(50));  // results still in flight land on stopped monitors
  EXPECT_GE(changes.load(), 6) << "every monitor confirmed its failure";
  for (auto& m : mons) EXPECT_FALSE(m->status().healthy());
}

TEST_F(AgentThreadsTest, AcquireOnAWorkerWithAnnouncementsOnAnother) {
  AgentConfig cfg;
  cfg.node_id = "h1";
  cfg.vip_policy.subnets = {"198.18.1.0/24"};
  cfg.arp.announce_count = 4;
  cfg.arp.announce_interval_ms = 5;
  WorkerPool commands(3), safety(2);
  ActionRunner runner(cfg, host_, *lease_, [&](std::function<void()> job) { safety.submit(std::move(job)); });
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i)
    commands.submit([&, i] {
      wire::Command c;
      c.set_action_id(static_cast<uint64_t>(i + 1));
      c.set_rule("r" + std::to_string(i));
      c.set_kind(wire::Command::ACQUIRE);
      c.add_vips()->set_cidr("198.18.1." + std::to_string(20 + i) + "/24");
      if (runner.acquire(c).outcome() == wire::CommandResult::OK) ++ok;
    });
  for (int i = 0; i < 50; ++i) {
    (void)lease_->renew(60'000);
    (void)lease_->confirmed_cidrs();
    std::this_thread::sleep_for(milliseconds(2));
  }
  while (commands.queued() > 0 || safety.queued() > 0) std::this_thread::sleep_for(milliseconds(5));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(lease_->confirmed_cidrs().size(), 6u);
}

}  // namespace
}  // namespace poolha::agent
