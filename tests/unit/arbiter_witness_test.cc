// Tests for arbiter::Witness: what the arbiter hears, its answers to controllers,
// and the fence (design §3.3 defence 1; README "Arbiter fence").
#include "arbiter/witness.h"

#include <gtest/gtest.h>

#include <string>

namespace poolha::arbiter {
namespace {

constexpr TimeMs kSees = 600;
constexpr TimeMs kStart = 10000;

// A witness past its quiet period with a long grant, so heartbeats are answered.
Witness running() {
  Witness w(kSees, kStart, 0);
  w.grant(kStart, 1000000);
  return w;
}

TEST(Witness, VouchesOnlyWhileTheActiveControllerGrantsIt) {
  Witness w(kSees, kStart, 0);
  EXPECT_FALSE(w.heard("n1", kStart + 1)) << "no grant yet: not answered";
  EXPECT_TRUE(w.query("n1", kStart + 2).sees) << "but heard: the witness still sees it";
  w.grant(kStart + 10, 1000);
  EXPECT_TRUE(w.heard("n1", kStart + 500));
  EXPECT_TRUE(w.heard("n1", kStart + 1009));
  EXPECT_FALSE(w.heard("n1", kStart + 1010)) << "the grant ran out (controller gone or cut off)";
  EXPECT_TRUE(w.query("n1", kStart + 1100).sees);
}

// Issue 9 §3: a grant of a huge term (from any controller certificate) used to lock
// out every later grant of a real, lower term until the arbiter restarted.
TEST(Witness, AnOlderTermMayGrantOnceTheNewerGrantRanOut) {
  Witness w(kSees, kStart, 0);
  EXPECT_TRUE(w.grant(kStart + 10, 500, UINT64_MAX));
  EXPECT_FALSE(w.grant(kStart + 100, 500, 7)) << "while the newer grant lasts, an older term is ignored";
  EXPECT_TRUE(w.grant(kStart + 600, 500, 7)) << "once it ran out, the real leader's grant is taken";
  EXPECT_TRUE(w.heard("n1", kStart + 700));
}

TEST(Witness, NeverHeardIsNotSeenWithMinusOne) {
  Witness w = running();
  WitnessAnswer a = w.query("n1", kStart + 5);
  EXPECT_FALSE(a.sees);
  EXPECT_EQ(a.ms_since_heard, -1);
}

TEST(Witness, HeardRecentlyIsSeenWithItsAge) {
  Witness w = running();
  EXPECT_TRUE(w.heard("n1", kStart + 100));
  WitnessAnswer a = w.query("n1", kStart + 350);
  EXPECT_TRUE(a.sees);
  EXPECT_EQ(a.ms_since_heard, 250);
  EXPECT_FALSE(w.fenced("n1"));
}

TEST(Witness, SeenMeansStrictlyLessThanSeesWithin) {
  Witness w1 = running();
  w1.heard("n1", kStart);
  EXPECT_TRUE(w1.query("n1", kStart + kSees - 1).sees);
  Witness w2 = running();
  w2.heard("n1", kStart);
  EXPECT_FALSE(w2.query("n1", kStart + kSees).sees);
}

TEST(Witness, NodesAreIndependent) {
  Witness w = running();
  w.heard("n1", kStart);
  EXPECT_FALSE(w.query("n2", kStart + 1).sees);
  EXPECT_TRUE(w.query("n1", kStart + 1).sees);
  EXPECT_TRUE(w.fenced("n2"));
  EXPECT_FALSE(w.fenced("n1"));
}

TEST(Witness, NotSeenFencesAndFreezesLastHeard) {
  Witness w = running();
  w.heard("n1", kStart);
  WitnessAnswer lost = w.query("n1", kStart + 700);
  EXPECT_FALSE(lost.sees);
  EXPECT_EQ(lost.ms_since_heard, 700);
  EXPECT_TRUE(w.fenced("n1"));

  // The node reconnects to the arbiter alone: its heartbeats are not answered
  // (no lease renewal) and do not move its last-heard time.
  EXPECT_FALSE(w.heard("n1", kStart + 800));
  EXPECT_FALSE(w.heard("n1", kStart + 1000));
  WitnessAnswer later = w.query("n1", kStart + 1100);
  EXPECT_FALSE(later.sees);
  EXPECT_EQ(later.ms_since_heard, 1100);  // frozen at kStart
}

TEST(Witness, NeverHeardNodeIsFencedToo) {
  // The arbiter answered "never heard"; the controller may move the node's services.
  Witness w = running();
  EXPECT_FALSE(w.query("n1", kStart).sees);
  EXPECT_FALSE(w.heard("n1", kStart + 10));
  WitnessAnswer a = w.query("n1", kStart + 20);
  EXPECT_FALSE(a.sees);
  EXPECT_EQ(a.ms_since_heard, -1);
}

TEST(Witness, LiftCountsTheNextHeartbeat) {
  Witness w = running();
  w.heard("n1", kStart);
  w.query("n1", kStart + 700);
  w.heard("n1", kStart + 800);  // fenced: ignored
  EXPECT_TRUE(w.lift("n1"));
  EXPECT_FALSE(w.fenced("n1"));
  // Lifting alone is not evidence: the age is still the frozen one.
  EXPECT_FALSE(w.query("n1", kStart + 810).sees);
  EXPECT_TRUE(w.fenced("n1"));
  EXPECT_TRUE(w.lift("n1"));
  EXPECT_TRUE(w.heard("n1", kStart + 900));
  WitnessAnswer a = w.query("n1", kStart + 950);
  EXPECT_TRUE(a.sees);
  EXPECT_EQ(a.ms_since_heard, 50);
}

TEST(Witness, LiftOfUnfencedOrUnknownNodeIsANoOp) {
  Witness w = running();
  EXPECT_FALSE(w.lift("nobody"));
  w.heard("n1", kStart);
  EXPECT_FALSE(w.lift("n1"));
  EXPECT_EQ(w.tracked(), 1u);
}

TEST(Witness, SeenAnswerDoesNotFence) {
  Witness w = running();
  w.heard("n1", kStart);
  EXPECT_TRUE(w.query("n1", kStart + 100).sees);
  EXPECT_TRUE(w.heard("n1", kStart + 200));
  EXPECT_TRUE(w.query("n1", kStart + 300).sees);
}

TEST(Witness, QuietAfterStartRecordsButDoesNotAnswer) {
  Witness w(kSees, kStart, 2000);
  w.grant(kStart, 100000);
  EXPECT_FALSE(w.heard("n1", kStart + 100));
  EXPECT_FALSE(w.heard("n1", kStart + 1999));
  WitnessAnswer a = w.query("n1", kStart + 2100);
  EXPECT_TRUE(a.sees);  // still evidence for the controller
  EXPECT_EQ(a.ms_since_heard, 101);
  EXPECT_TRUE(w.heard("n1", kStart + 2000));
}

TEST(Witness, AgentSessionsAreRefusedWhileFencedOrQuiet) {
  // A completed Hello renews the agent's lease, so it must not happen when a
  // heartbeat would go unanswered.
  Witness quiet(kSees, kStart, 2000);
  EXPECT_FALSE(quiet.admits("n1", kStart + 1999));
  EXPECT_TRUE(quiet.admits("n1", kStart + 2000));

  Witness w = running();
  EXPECT_TRUE(w.admits("n1", kStart));
  w.heard("n1", kStart);
  w.query("n1", kStart + 700);
  EXPECT_FALSE(w.admits("n1", kStart + 800));
  EXPECT_TRUE(w.admits("n2", kStart + 800));
  w.lift("n1");
  EXPECT_TRUE(w.admits("n1", kStart + 900));
  EXPECT_FALSE(w.admits("", kStart + 900));
  EXPECT_FALSE(w.admits(std::string(Witness::kMaxNodeIdBytes + 1, 'x'), kStart + 900));
}

TEST(Witness, OversizedOrEmptyIdsAreNeverTracked) {
  Witness w = running();
  const std::string long_id(Witness::kMaxNodeIdBytes + 1, 'x');
  EXPECT_FALSE(w.heard(long_id, kStart));
  EXPECT_FALSE(w.query(long_id, kStart).sees);
  EXPECT_FALSE(w.heard("", kStart));
  EXPECT_EQ(w.tracked(), 0u);
}

TEST(Witness, FullTableFailsSafe) {
  Witness w = running();
  for (size_t i = 0; i < Witness::kMaxNodes; ++i) w.heard("n" + std::to_string(i), kStart);
  EXPECT_EQ(w.tracked(), Witness::kMaxNodes);
  EXPECT_FALSE(w.heard("late", kStart + 1));  // not answered: no lease from us
  WitnessAnswer a = w.query("late", kStart + 2);
  EXPECT_FALSE(a.sees);
  EXPECT_EQ(a.ms_since_heard, -1);
  EXPECT_TRUE(w.heard("n5", kStart + 3));  // known nodes keep working
  EXPECT_FALSE(w.admits("late", kStart + 4));
  EXPECT_TRUE(w.admits("n5", kStart + 4));
}

}  // namespace
}  // namespace poolha::arbiter

namespace poolha::arbiter {
namespace {

// What the arbiter reports to the leader: configured nodes that are silent, fenced,
// or never heard once the grace has passed; heard nodes and unconfigured ones never.
TEST(Witness, UnheardListsSilentFencedAndNeverHeardConfiguredNodes) {
  Witness w = running();  // sees within 600 ms
  const std::vector<std::string> configured{"fenced", "live", "never", "quiet"};
  w.heard("quiet", kStart);
  w.heard("fenced", kStart);
  w.heard("stray", kStart);  // heard, but not configured: never reported
  // 400 ms on, nothing is silent yet, and "never" is still within its grace.
  EXPECT_EQ(w.unheard(configured, kStart + 400, kStart + 5000), std::vector<std::string>{});
  w.heard("live", kStart + 1000);
  w.heard("fenced", kStart + 1000);
  (void)w.query("fenced", kStart + 1300);  // 300 ms: seen; not fenced yet
  EXPECT_EQ(w.unheard(configured, kStart + 1300, kStart + 5000), std::vector<std::string>{"quiet"});
  (void)w.query("fenced", kStart + 1700);  // 700 ms: "not seen", which fences it
  w.heard("fenced", kStart + 1750);         // and its heartbeats no longer count
  w.heard("live", kStart + 1750);
  EXPECT_EQ(w.unheard(configured, kStart + 1800, kStart + 5000), (std::vector<std::string>{"fenced", "quiet"}));
  EXPECT_EQ(w.unheard(configured, kStart + 1800, kStart + 1800), (std::vector<std::string>{"fenced", "never", "quiet"}))
      << "never heard, once the grace has passed";
}

}  // namespace
}  // namespace poolha::arbiter
