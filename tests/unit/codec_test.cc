#include <gtest/gtest.h>

#include "rules/json_codec.h"
#include "rules/rule_templates.h"

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

// Rule templates: fields come from the template, the rule's own fields win, and every
// mistake names the entry.
TEST(RuleTemplates, ExpandOverrideAndErrors) {
  using poolha::rules::Json;
  Json doc = Json::parse(R"({
    "templates": [{"id": "gw", "pool": "p1", "script_timeout_ms": 3000, "acquire_script": "acquire.sh",
                   "monitors": [{"name": "port", "kind": "tcp_port", "params": {"port": "9000"}}]}],
    "rules": [{"id": "r1", "template": "gw", "vips": [{"cidr": "198.18.0.101/24"}], "script_timeout_ms": 4000},
              {"id": "r2", "pool": "p1", "vips": [{"cidr": "198.18.0.102/24"}]}]})");
  auto out = poolha::rules::expand_rule_templates(doc);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_FALSE(out->contains("templates"));
  auto r1 = poolha::rules::rule_from_json((*out)["rules"][0]);
  ASSERT_TRUE(r1.ok()) << r1.error();
  EXPECT_EQ(r1->pool, "p1");
  EXPECT_EQ(r1->script_timeout_ms, 4000);  // the rule's own value wins
  EXPECT_EQ(r1->acquire_script, "acquire.sh");
  ASSERT_EQ(r1->monitors.size(), 1u);
  EXPECT_EQ(r1->monitors[0].params.at("port"), "9000");
  EXPECT_EQ((*out)["rules"][1], doc["rules"][1]);

  Json missing = doc;
  missing["rules"][0]["template"] = "nope";
  auto e1 = poolha::rules::expand_rule_templates(missing);
  ASSERT_FALSE(e1.ok());
  EXPECT_NE(e1.error().find("rules[0] (r1): template 'nope'"), std::string::npos) << e1.error();
  Json typo = doc;
  typo["templates"][0]["scrip_timeout_ms"] = 1;
  auto e2 = poolha::rules::expand_rule_templates(typo);
  ASSERT_FALSE(e2.ok());
  EXPECT_NE(e2.error().find("templates[0] (gw)"), std::string::npos) << e2.error();
  EXPECT_NE(e2.error().find("scrip_timeout_ms"), std::string::npos) << e2.error();
}
