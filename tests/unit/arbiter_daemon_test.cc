// The arbiter's message handling (ArbiterDaemon::handle), without sockets: in a cluster
// only the Raft leader may consult the witness, lift a fence or let it vouch, and a
// grant only for the current term (issue 9 §3). Before, any controller certificate
// could, and a grant of term 2^64-1 locked the real leader's grants out.
#include "arbiter/daemon.h"

#include <gtest/gtest.h>

#include <thread>

namespace poolha::arbiter {
namespace {

wire::Envelope grant(uint64_t term) {
  wire::Envelope e;
  e.mutable_vouch_grant()->set_term(term);
  return e;
}
wire::Envelope query(const std::string& node) {
  wire::Envelope e;
  e.mutable_arbiter_query()->set_node_id(node);
  e.mutable_arbiter_query()->set_query_id(7);
  return e;
}
wire::Envelope heartbeat(uint64_t seq) {
  wire::Envelope e;
  e.mutable_heartbeat()->set_seq(seq);
  return e;
}

class ArbiterDaemonTest : public ::testing::Test {
 protected:
  ArbiterDaemonTest() : daemon_(io_, ArbiterConfig{"arb1"}) {
    daemon_.follow_leader([this] { return leader_; });
  }
  // The witness answers no heartbeat in its first kQuietAfterStartMs.
  void wait_out_quiet_period() { std::this_thread::sleep_for(std::chrono::milliseconds(kQuietAfterStartMs + 50)); }
  uint64_t answered_seq(uint64_t seq) {
    auto r = daemon_.handle(pki::Role::Agent, "h1", heartbeat(seq));
    return r.send ? r.send->heartbeat().seq() : 0;
  }

  boost::asio::io_context io_;
  ArbiterDaemon::LeaderView leader_{"ctl-a", 5};
  ArbiterDaemon daemon_;
};

TEST_F(ArbiterDaemonTest, OnlyTheLeaderOfTheCurrentTermCommandsTheWitness) {
  wait_out_quiet_period();
  EXPECT_EQ(answered_seq(1), 0u) << "no grant yet: seq 0, no lease renewal";
  EXPECT_FALSE(daemon_.handle(pki::Role::Controller, "ctl-b", grant(5)).send);
  EXPECT_EQ(answered_seq(2), 0u) << "a standby controller's grant was taken";
  daemon_.handle(pki::Role::Controller, "ctl-a", grant(4));
  EXPECT_EQ(answered_seq(3), 0u) << "a grant for an older term was taken";
  daemon_.handle(pki::Role::Controller, "ctl-a", grant(UINT64_MAX));
  EXPECT_EQ(answered_seq(4), 0u) << "a grant for a future term was taken";
  daemon_.handle(pki::Role::Controller, "ctl-a", grant(5));
  EXPECT_EQ(answered_seq(5), 5u) << "the leader's grant for its term";

  // A consult fences the node: only the leader may ask. A standby's question gets no
  // answer (its arbiter link then counts the arbiter as unreachable).
  EXPECT_FALSE(daemon_.handle(pki::Role::Controller, "ctl-b", query("h1")).send);
  EXPECT_EQ(answered_seq(6), 6u) << "a standby's question fenced the node";
  auto a = daemon_.handle(pki::Role::Controller, "ctl-a", query("h1"));
  ASSERT_TRUE(a.send && a.send->has_arbiter_answer());
  EXPECT_TRUE(a.send->arbiter_answer().sees());

  // After a leader change the old leader's grants no longer count.
  leader_ = {"ctl-b", 6};
  EXPECT_FALSE(daemon_.handle(pki::Role::Controller, "ctl-a", query("h1")).send);
  // Keepalives from any controller are answered (the link must stay up).
  auto hb = daemon_.handle(pki::Role::Controller, "ctl-a", heartbeat(9));
  ASSERT_TRUE(hb.send);
  EXPECT_EQ(hb.send->heartbeat().seq(), 9u);
  // Agents may send heartbeats only.
  EXPECT_FALSE(daemon_.handle(pki::Role::Agent, "h1", grant(6)).close.empty());
}

}  // namespace
}  // namespace poolha::arbiter
