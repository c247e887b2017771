// The daemon's and the simulation's shared leadership glue (controller_core/leadership.h):
// the no-quorum override is admitted only after an election timeout without a leader,
// never while this member acts or knows a leader.
#include <gtest/gtest.h>

#include "controller_core/leadership.h"

namespace poolha::controller {
namespace {

TEST(Leadership, OverrideOnlyAfterAnElectionTimeoutWithoutALeader) {
  consensus::Membership three;
  three.voters = {{"ctl1", consensus::MemberRole::Controller},
                  {"ctl2", consensus::MemberRole::Controller},
                  {"arb1", consensus::MemberRole::Arbiter}};
  consensus::RaftOptions o;
  o.id = "ctl1";
  o.seed = 3;
  consensus::Raft alone(o, consensus::Recovered{.initial = three});  // nobody answers it
  const uint64_t election = static_cast<uint64_t>(o.election_ticks);
  auto early = check_override_allowed(alone, false, election);
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.error().find("electing"), std::string::npos) << early.error();
  int ticks = 0;
  while (!check_override_allowed(alone, false, election).ok() && ticks < 100) {
    alone.tick();
    while (alone.has_ready()) alone.advance(alone.ready());
    ++ticks;
  }
  std::printf("override admitted after %d ticks without a leader (election timeout %llu ticks)\n", ticks,
              static_cast<unsigned long long>(election));
  EXPECT_GE(static_cast<uint64_t>(ticks), election);
  EXPECT_TRUE(alone.leader().empty());
  EXPECT_FALSE(check_override_allowed(alone, /*acting=*/true, election).ok());

  consensus::Membership one;
  one.voters = {{"ctl1", consensus::MemberRole::Controller}};
  consensus::Raft sole(o, consensus::Recovered{.initial = one});
  sole.tick();
  ASSERT_TRUE(sole.is_leader());
  auto led = check_override_allowed(sole, false, election);
  ASSERT_FALSE(led.ok());
  EXPECT_NE(led.error().find("has a quorum"), std::string::npos) << led.error();
}

}  // namespace
}  // namespace poolha::controller
