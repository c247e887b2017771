#include <gtest/gtest.h>

#include "rules/json_codec.h"

namespace poolha::rules {
namespace {

TEST(Codec, EveryEventRoundTrips) {
  RuleSpec r;
  r.id = "r1";
  r.pool = "p";
  r.vips = {{"198.18.1.9/24", "eth1"}};
  std::vector<Event> events = {NodeReachable{"a", 1, {"198.18.1.1/24"}, {"198.18.1.9/24"}, 3},
                               NodeUnreachable{"a", 2, 1},
                               ArbiterView{"a", 3, true, false, 1},
                               MonitorReport{"a", "r1", false, "down", 4},
                               ActionResult{7, "b", ActionOutcome::Conflict, false, "mac 02:00:00:00:00:01", 5},
                               Tick{6, 600},
                               UpsertRule{r, 7},
                               Switchover{"r1", "b", true, 8},
                               Freeze{"", "p", true}};
  for (const auto& e : events) {
    Json j = to_json(e);
    auto back = event_from_json(j);
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(to_json(*back), j);
  }
}

TEST(Codec, UnknownFieldAndWrongTypeAreNamed) {
  auto r = rule_from_json(Json::parse(R"({"id":"r1","pool":"p","vipz":[]})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("unknown field 'vipz'"), std::string::npos) << r.error();
  r = rule_from_json(Json::parse(R"({"id":"r1","pool":"p","vips":[{"cidr":5}]})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("rule.vips[0].cidr: expected string"), std::string::npos) << r.error();
  r = rule_from_json(Json::parse(R"({"id":"r1","capacity":"x"})"));
  ASSERT_FALSE(r.ok());
  r = rule_from_json(Json::parse(R"({"id":"r1","failback":"sometimes"})"));
  EXPECT_FALSE(r.ok() && r->failback != FailbackPolicy::Manual) << "an unknown enum value must not pass silently";
  auto e = event_from_json(Json::parse(R"({"type":"explode"})"));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("unknown type 'explode'"), std::string::npos);
}

}  // namespace
}  // namespace poolha::rules
