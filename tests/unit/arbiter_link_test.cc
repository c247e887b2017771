// The controller's arbiter link (controller/arbiter_link) against the real arbiter
// daemon (arbiter/daemon), with a real agent (on the in-memory host) heartbeating to
// the arbiter, over mutual TLS on loopback: no namespaces. The consult of design §3.1
// says "sees" while the agent talks to the arbiter and "does not see" once it has been
// silent for sees_within_ms; a vouching grant goes through; when the arbiter is gone the
// link reports down and a consult answers "unreachable" within its time limit.
#include "controller/arbiter_link.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "agent/daemon.h"
#include "arbiter/daemon.h"
#include "tests/support/fake_host_ops.h"
#include "tests/support/test_ca.h"

namespace poolha::controller {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Answer {
  std::string node;
  bool reachable = false, sees = false;
};

class ArbiterLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("poolha-arbiter-link-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "state");
    poolha::testing::TestCa ca(dir_.string());
    ctl_ = ca.issue("ctl1", pki::Role::Controller);
    arb_ = ca.issue("arb1", pki::Role::Arbiter);
    agent_ = ca.issue("h1", pki::Role::Agent);
    {
      wire::tcp::acceptor held(io_, wire::tcp::endpoint(wire::asio::ip::make_address("127.0.0.1"), 0));
      port_ = held.local_endpoint().port();
    }
    arbiter::ArbiterConfig ac;
    ac.name = "arb1";
    ac.tls = arb_;
    ac.listen = {"127.0.0.1", port_};
    ac.sees_within_ms = 300;
    // The arbiter on a loop and thread of its own, so the test can kill it like a process.
    arb_io_ = std::make_unique<boost::asio::io_context>();
    arbiter_ = std::make_unique<arbiter::ArbiterDaemon>(*arb_io_, ac);
    ASSERT_TRUE(arbiter_->start().ok());
    arb_thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(*arb_io_);
      arb_io_->run();
    });
    auto client = wire::mutual_tls_context(ctl_, false);
    ASSERT_TRUE(client.ok());
    link_ = std::make_unique<ArbiterLink>(
        io_, *client, wire::Endpoint{"127.0.0.1", port_}, "arb1", "ctl1", wire::Millis(300),
        [this](const std::string& node, bool reachable, bool sees, int64_t) {
          std::lock_guard l(mu_);
          answers_.push_back({node, reachable, sees});
        },
        [this](bool up) { link_up_ = up; });
    link_->start();
  }

  void TearDown() override {
    if (agent_daemon_) agent_daemon_->request_stop();
    if (agent_thread_.joinable()) agent_thread_.join();
    link_.reset();
    kill_arbiter();
    io_.run_for(std::chrono::milliseconds(50));
    fs::remove_all(dir_);
  }

  // As a process dies: its loop stops and every socket it had closes.
  void kill_arbiter() {
    if (!arb_io_) return;
    arb_io_->stop();
    if (arb_thread_.joinable()) arb_thread_.join();
    arbiter_.reset();
    arb_io_.reset();  // destroys the sessions its handlers held: their sockets close
  }

  void start_agent() {
    agent::AgentConfig cfg;
    cfg.node_id = "h1";
    cfg.state_dir = (dir_ / "state").string();
    cfg.tls = {agent_.ca_file, agent_.cert_file, agent_.key_file};
    cfg.members = {{"arb1", "127.0.0.1:" + std::to_string(port_), agent::MemberRole::Arbiter}};
    cfg.heartbeat_interval_ms = 50;
    cfg.isolation_timeout_ms = 400;
    auto lease = host::LeaseFile::open(cfg.state_dir + "/lease", true);
    ASSERT_TRUE(lease.ok());
    agent_daemon_ = std::make_unique<agent::AgentDaemon>(cfg, host_, std::move(*lease), agent::CommandLedger{}, "linux");
    agent_thread_ = std::thread([this] { (void)agent_daemon_->run(); });
  }

  // Runs the arbiter's and the link's loop until `pred` or `ms`; the time it took, or -1.
  template <class Pred>
  double run_until(Pred pred, int ms) {
    const auto t0 = Clock::now();
    while (Clock::now() - t0 < std::chrono::milliseconds(ms)) {
      io_.run_for(std::chrono::milliseconds(10));
      if (pred()) return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    }
    return -1;
  }

  std::optional<Answer> consult(const std::string& node) {
    size_t before;
    {
      std::lock_guard l(mu_);
      before = answers_.size();
    }
    link_->consult(node);
    run_until([&] { std::lock_guard l(mu_); return answers_.size() > before; }, 2000);
    std::lock_guard l(mu_);
    if (answers_.size() <= before) return std::nullopt;
    return answers_.back();
  }

  fs::path dir_;
  wire::TlsFiles ctl_, arb_, agent_;
  uint16_t port_ = 0;
  boost::asio::io_context io_;  // the controller side: the link
  std::unique_ptr<boost::asio::io_context> arb_io_;
  std::thread arb_thread_;
  std::unique_ptr<arbiter::ArbiterDaemon> arbiter_;
  std::unique_ptr<ArbiterLink> link_;
  std::atomic<bool> link_up_{false};
  std::mutex mu_;
  std::vector<Answer> answers_;
  agent::testing::FakeHostOps host_{{host::Interface{"eth0", "02:00:00:00:00:05", true, true, {"198.18.1.5/24"}}}};
  std::unique_ptr<agent::AgentDaemon> agent_daemon_;
  std::thread agent_thread_;
};

TEST_F(ArbiterLinkTest, ConsultsGrantsAndAnArbiterThatIsGone) {
  const double up = run_until([&] { return link_up_.load(); }, 5000);
  ASSERT_GE(up, 0) << "the link never came up";
  EXPECT_TRUE(link_->grant_vouching(1));

  start_agent();  // heartbeats to the arbiter only
  // The arbiter takes agents 1.2 s after its start and the agent redials with a backoff
  // of up to 1 s; a consult before the arbiter hears h1 would fence h1 (design §3.3).
  run_until([] { return false; }, 2500);
  auto seen = consult("h1");
  ASSERT_TRUE(seen);
  EXPECT_TRUE(seen->reachable);
  EXPECT_TRUE(seen->sees) << "the agent heartbeats to the arbiter";

  agent_daemon_->request_stop();
  agent_thread_.join();
  agent_daemon_.reset();
  run_until([] { return false; }, 500);  // longer than sees_within_ms (300)
  auto gone = consult("h1");
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->reachable);
  EXPECT_FALSE(gone->sees) << "the agent has been silent longer than sees_within_ms";

  kill_arbiter();
  const double down = run_until([&] { return !link_up_.load(); }, 5000);
  ASSERT_GE(down, 0) << "the link never noticed the arbiter was gone";
  const auto t0 = Clock::now();
  auto unreachable = consult("h1");
  const double answered = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  ASSERT_TRUE(unreachable);
  EXPECT_FALSE(unreachable->reachable);
  std::printf("link up in %.0f ms; arbiter killed: link down after %.0f ms, consult answered 'unreachable' in %.0f "
              "ms (limit 300 ms)\n",
              up, down, answered);
  EXPECT_LE(answered, 400.0);
}

}  // namespace
}  // namespace poolha::controller
