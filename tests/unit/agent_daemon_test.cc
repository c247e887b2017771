// The agent daemon (agent/daemon, member_link) against the controller's agent port
// (controller/agent_hub) over real mutual TLS on loopback, with the in-memory host
// (tests/support/fake_host_ops.h) under the agent: no namespaces, no root. A member
// that answers heartbeats keeps the agent's lease; a command adds a VIP through the
// seam and comes back as a result; a VIP outside vip_subnets is refused; when no member
// answers for the isolation timeout the agent releases every VIP (design §3.3).
#include "agent/daemon.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "controller/agent_hub.h"
#include "tests/support/fake_host_ops.h"
#include "tests/support/test_ca.h"

namespace poolha::agent {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class AgentDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("poolha-agent-daemon-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "state");
    poolha::testing::TestCa ca(dir_.string());
    ctl_tls_ = ca.issue("ctl1", pki::Role::Controller);
    agent_tls_ = ca.issue("h1", pki::Role::Agent);

    auto server = wire::mutual_tls_context(ctl_tls_, true);
    ASSERT_TRUE(server.ok()) << server.error();
    hub_ = std::make_unique<controller::AgentHub>(
        hub_io_, *server, "ctl1",
        controller::AgentHub::Handlers{
            [this](const std::string&, const wire::NodeFacts&) { ++hellos_; },
            [](const std::string&) {},
            [this](const std::string&, const wire::Heartbeat&) {
              ++heartbeats_;
              return answer_.load();  // false: seq 0, which renews nothing
            },
            [this](const std::string&, const wire::CommandResult& r) {
              std::lock_guard l(mu_);
              results_.push_back(r);
            },
        });
    ASSERT_TRUE(hub_->listen({"127.0.0.1", 0}).ok());
    hub_thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(hub_io_);
      hub_io_.run();
    });
  }

  void TearDown() override {
    if (agent_) agent_->request_stop();
    if (agent_thread_.joinable()) agent_thread_.join();
    agent_.reset();
    boost::asio::post(hub_io_, [this] { hub_.reset(); });
    hub_io_.stop();
    if (hub_thread_.joinable()) hub_thread_.join();
    fs::remove_all(dir_);
  }

  void start_agent() {
    AgentConfig cfg;
    cfg.node_id = "h1";
    cfg.state_dir = (dir_ / "state").string();
    cfg.script_dir = (dir_ / "scripts").string();
    cfg.tls = {agent_tls_.ca_file, agent_tls_.cert_file, agent_tls_.key_file};
    cfg.members = {{"ctl1", "127.0.0.1:" + std::to_string(hub_->port()), MemberRole::Controller}};
    cfg.heartbeat_interval_ms = 50;
    cfg.isolation_timeout_ms = 400;
    cfg.isolation_address = "";  // contact with a member is the only way to keep the lease
    cfg.vip_policy.subnets = {"198.18.1.0/24"};
    auto lease = LeaseFile::open(cfg.state_dir + "/lease", true);
    ASSERT_TRUE(lease.ok()) << lease.error();
    agent_ = std::make_unique<AgentDaemon>(cfg, host_, std::move(*lease), CommandLedger{}, "linux");
    agent_thread_ = std::thread([this] { exit_code_ = agent_->run(); });
  }

  void send(const wire::Command& c) {
    wire::Envelope e;
    *e.mutable_command() = c;
    boost::asio::post(hub_io_, [this, e] { EXPECT_TRUE(hub_->send("h1", e)); });
  }

  static wire::Command acquire(uint64_t id, const std::string& cidr) {
    wire::Command c;
    c.set_action_id(id);
    c.set_term(1);
    c.set_epoch(id);
    c.set_rule("r" + std::to_string(id));
    c.set_kind(wire::Command::ACQUIRE);
    c.add_vips()->set_cidr(cidr);
    return c;
  }

  // Waits up to `ms` for `pred`; returns how long it took, or -1.
  template <class Pred>
  double wait_for(Pred pred, int ms) {
    const auto t0 = Clock::now();
    while (Clock::now() - t0 < std::chrono::milliseconds(ms)) {
      if (pred()) return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
  }

  std::optional<wire::CommandResult> result_of(uint64_t id) {
    std::lock_guard l(mu_);
    for (const auto& r : results_)
      if (r.action_id() == id) return r;
    return std::nullopt;
  }

  fs::path dir_;
  wire::TlsFiles ctl_tls_, agent_tls_;
  boost::asio::io_context hub_io_;
  std::unique_ptr<controller::AgentHub> hub_;
  std::thread hub_thread_;
  std::atomic<int> hellos_{0}, heartbeats_{0};
  std::atomic<bool> answer_{true};
  std::mutex mu_;
  std::vector<wire::CommandResult> results_;
  testing::FakeHostOps host_{{Interface{"eth0", "02:00:00:00:00:05", true, true, {"198.18.1.5/24"}}}};
  std::unique_ptr<AgentDaemon> agent_;
  std::thread agent_thread_;
  int exit_code_ = -1;
};

TEST_F(AgentDaemonTest, CommandsThroughTheHubAndIsolationWhenNoMemberAnswers) {
  start_agent();
  const double connected = wait_for([&] { return hellos_ > 0 && heartbeats_ >= 3; }, 5000);
  ASSERT_GE(connected, 0) << "the agent never connected and heartbeated";

  send(acquire(1, "198.18.1.100/24"));
  const double acquired = wait_for([&] { return result_of(1).has_value(); }, 5000);
  ASSERT_GE(acquired, 0) << "no result for the acquire";
  EXPECT_EQ(result_of(1)->outcome(), wire::CommandResult::OK) << result_of(1)->detail();
  EXPECT_TRUE(host_.has("eth0", "198.18.1.100/24"));

  send(acquire(2, "198.19.9.100/24"));  // outside vip_subnets
  ASSERT_GE(wait_for([&] { return result_of(2).has_value(); }, 5000), 0);
  EXPECT_EQ(result_of(2)->outcome(), wire::CommandResult::REFUSED);
  EXPECT_NE(result_of(2)->detail().find("vip_subnets"), std::string::npos) << result_of(2)->detail();
  EXPECT_FALSE(host_.has("eth0", "198.19.9.100/24"));

  // The member goes on talking but stops vouching: no contact, so after the isolation
  // timeout the agent releases its VIP by itself.
  const auto cut = Clock::now();
  answer_ = false;
  const double released = wait_for([&] { return !host_.has("eth0", "198.18.1.100/24"); }, 5000);
  std::printf("connected in %.0f ms, acquire answered in %.0f ms; without contact the VIP was released after %.0f ms "
              "(isolation timeout 400 ms)\n",
              connected, acquired, released);
  ASSERT_GE(released, 0) << "the VIP stayed although no member answered";
  const double since_cut = std::chrono::duration<double, std::milli>(Clock::now() - cut).count();
  EXPECT_GE(since_cut, 350.0) << "released before the isolation timeout";

  agent_->request_stop();
  agent_thread_.join();
  EXPECT_EQ(exit_code_, 0);
}

}  // namespace
}  // namespace poolha::agent
