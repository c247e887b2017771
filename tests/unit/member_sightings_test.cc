// The leader's table of which members do not hear which agents (issue 3: "a member
// that stops hearing an agent tells the leader"): changes, refusals that change
// nothing, and reports that age out.
#include "controller_core/member_sightings.h"

#include <gtest/gtest.h>

namespace poolha::controller {
namespace {

using Changes = std::vector<MemberSightings::Change>;

std::vector<std::string> describe(const Changes& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.member + (c.unheard ? " lost " : " hears ") + c.node);
  return out;
}

TEST(MemberSightings, ReportsSayWhatChanged) {
  MemberSightings t(6000);
  auto c = t.report("ctl-b", {"h1", "h2"}, 1000);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(describe(*c), (std::vector<std::string>{"ctl-b lost h1", "ctl-b lost h2"}));
  c = t.report("ctl-b", {"h1", "h2"}, 3000);  // the periodic repeat: no news
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->empty());
  c = t.report("arb", {"h2"}, 3000);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(t.unheard_by("h2"), (std::vector<std::string>{"arb", "ctl-b"}));
  c = t.report("ctl-b", {"h3", "h2"}, 3500);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(describe(*c), (std::vector<std::string>{"ctl-b lost h3", "ctl-b hears h1"}));
  EXPECT_EQ(t.unheard_by("h1"), std::vector<std::string>{});
  EXPECT_EQ(t.unheard_count("ctl-b"), 2);
  EXPECT_EQ(t.unheard_count("ctl-a"), -1) << "no report: unknown, not 'hears everything'";
}

TEST(MemberSightings, MalformedReportChangesNothing) {
  MemberSightings t(6000);
  ASSERT_TRUE(t.report("ctl-b", {"h1"}, 1000).ok());
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"h2", "h2"}, std::vector<std::string>{""},
        std::vector<std::string>{std::string(MemberSightings::kMaxNodeIdBytes + 1, 'x')}}) {
    auto c = t.report("ctl-b", bad, 2000);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().find("ctl-b"), std::string::npos) << c.error();
    EXPECT_EQ(t.unheard_by("h1"), std::vector<std::string>{"ctl-b"}) << c.error();
    EXPECT_EQ(t.unheard_count("ctl-b"), 1);
  }
  std::vector<std::string> huge(MemberSightings::kMaxNodes + 1, "n");
  EXPECT_FALSE(t.report("ctl-b", huge, 2000).ok());
  // The age counts from the last accepted report: the refusals above did not renew it.
  EXPECT_EQ(t.expire(7001), std::vector<std::string>{"ctl-b"});
}

TEST(MemberSightings, SilentMembersAgeOut) {
  MemberSightings t(6000);
  ASSERT_TRUE(t.report("ctl-b", {"h1"}, 1000).ok());
  ASSERT_TRUE(t.report("arb", {"h1"}, 4000).ok());
  EXPECT_TRUE(t.expire(7000).empty());
  EXPECT_EQ(t.expire(7001), std::vector<std::string>{"ctl-b"});
  EXPECT_EQ(t.unheard_by("h1"), std::vector<std::string>{"arb"});
  EXPECT_EQ(t.unheard_count("ctl-b"), -1);
  // Back after a crash: its first report starts from nothing, so h1 is news again.
  auto c = t.report("ctl-b", {"h1"}, 8000);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(describe(*c), std::vector<std::string>{"ctl-b lost h1"});
}

}  // namespace
}  // namespace poolha::controller
