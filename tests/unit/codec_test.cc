#include <gtest/gtest.h>

#include "rules/json_codec.h"
#include "rules/problem_field.h"
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
                               Freeze{"", "p", true},
                               UpsertTemplate{RuleTemplate{"gw", "网关模板", R"({"pool":"p","script_timeout_ms":3000})"}},
                               DeleteTemplate{"gw"}};
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
  EXPECT_TRUE(out->contains("templates"));  // kept: the controller stores them
  auto r1 = poolha::rules::rule_from_json((*out)["rules"][0]);
  ASSERT_TRUE(r1.ok()) << r1.error();
  EXPECT_EQ(r1->pool, "p1");
  EXPECT_EQ(r1->script_timeout_ms, 4000);  // the rule's own value wins
  EXPECT_EQ(r1->acquire_script, "acquire.sh");
  EXPECT_EQ(r1->from_template, "gw");
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

// A template stored on the controller serves a file that does not define it; poolhactl
// (Keep) leaves such a rule for the controller; the file's own template wins over a
// stored one of the same name.
TEST(RuleTemplates, StoredTemplatesAndKeep) {
  using poolha::rules::Json;
  using poolha::rules::RuleTemplate;
  std::map<std::string, RuleTemplate> stored{{"gw", RuleTemplate{"gw", "网关", R"({"pool": "p1", "acquire_script": "s.sh"})"}}};
  Json doc = Json::parse(R"({"rules": [{"id": "r1", "template": "gw", "vips": [{"cidr": "198.18.0.101/24"}]}]})");
  auto out = poolha::rules::expand_rule_templates(doc, stored);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_EQ((*out)["rules"][0]["acquire_script"], "s.sh");
  EXPECT_EQ((*out)["rules"][0]["from_template"], "gw");
  auto kept = poolha::rules::expand_rule_templates(doc, {}, poolha::rules::UnknownTemplate::Keep);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ((*kept)["rules"][0], doc["rules"][0]);
  EXPECT_FALSE(poolha::rules::expand_rule_templates(doc).ok());
  doc["templates"] = Json::parse(R"([{"id": "gw", "pool": "p2"}])");
  auto own = poolha::rules::expand_rule_templates(doc, stored);
  ASSERT_TRUE(own.ok());
  EXPECT_EQ((*own)["rules"][0]["pool"], "p2");
  EXPECT_FALSE((*own)["rules"][0].contains("acquire_script"));
  // The flat form round-trips through the state's JSON.
  Json j = stored.at("gw");
  EXPECT_EQ(j["description"], "网关");
  EXPECT_EQ(j["pool"], "p1");
  const RuleTemplate back = j.get<RuleTemplate>();
  EXPECT_EQ(back.id, "gw");
  EXPECT_EQ(back.description, "网关");
  EXPECT_EQ(Json::parse(back.fields), Json::parse(stored.at("gw").fields));
  // Checked like a rule's fields, monitors included; never an id of its own.
  for (const char* bad : {R"({"id": "t", "scrip_timeout_ms": 1})", R"({"id": "t", "from_template": "x"})",
                          R"({"id": "t", "monitors": [{"name": "m", "kind": "nope"}]})", R"({"id": "t/1"})",
                          R"({"id": "t", "description": 5})"}) {
    auto t = poolha::rules::template_from_json(Json::parse(bad));
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) std::printf("refused %s: %s\n", bad, t.error().c_str());
  }
}

// The field an error message names, checked against the spec's shape.
TEST(ProblemField, NamesTheFieldOrNothing) {
  using poolha::rules::Json;
  const Json rule = poolha::rules::to_json(poolha::rules::RuleSpec{});
  const Json templ = [&] { Json t = rule; t["description"] = ""; return t; }();
  struct Case { const char* message; const char* kind; const Json* shape; const char* field; };
  const Case cases[] = {
      {"rule r1: home: node h9 is not in pool p1", "rule", &rule, "home"},
      {"rule.vips[1].cidr: expected string, got number", "rule", &rule, "vips[1].cidr"},
      {"rule r1: pool is required", "rule", &rule, "pool"},
      {"rule r1: vips: '1.2.3' is not an address/prefix", "rule", &rule, "vips"},
      {"rule r1: monitor 'port': kind: expected process | ...", "rule", &rule, "monitors"},
      {"rule: unknown field 'colour'", "rule", &rule, ""},
      {"rule: unknown field 'home'", "rule", &rule, "home"},
      {"rule r1 is switching; retry when it is running", "rule", &rule, ""},
      {"rule.id 'a/b': use 1-63 letters", "rule", &rule, "id"},
      {"rules[2] (r3): rule r3: pool: pool p9 does not exist", "rule", &rule, "pool"},
      {"template gw: rule.monitors[0].kind: expected string", "template", &templ, "monitors[0].kind"},
      {"template gw: description: at most 256 bytes", "template", &templ, "description"},
      {"node n1: pool: pool p9 does not exist", "node", &rule, "pool"},
      {"lost in a change of active controller", "rule", &rule, ""},
      {"rule r1: acquire_script: '../x' must be a plain file name", "rule", &rule, "acquire_script"},
      {"rule r1: failback_window_end_min must be 0..1440 (minutes of the day)", "rule", &rule, "failback_window_end_min"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(poolha::rules::problem_field(c.message, c.kind, *c.shape), c.field) << c.message;
}
