// Every REST route of the controller (docs/api.md) without sockets: ApiRoutes over a
// ControllerCore on the real one-voter Raft log and SQLite (tests/support/
// one_voter_log.h). Each row is a request, the status it must get and what it must do
// to the replicated state; a refused request must leave the state as it was. The role
// x route matrix of the console (issue 11) builds on this table.
#include "controller/api_routes.h"

#include <gtest/gtest.h>

#include <functional>

#include "controller_core/event_history.h"
#include "rules/json_codec.h"
#include "tests/support/api_request.h"
#include "tests/support/no_outbox.h"
#include "tests/support/one_voter_log.h"

namespace poolha::controller {
namespace {

using Json = nlohmann::json;

using testing::NoOutbox;

class ApiRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    routes_ = std::make_unique<ApiRoutes>(core_, history_, true, "ctl1", [] { return TimeMs{1000}; });
  }
  ApiResponse call(const std::string& method, const std::string& target, const std::string& body = "") {
    ApiResponse got{-1, nullptr};
    routes_->handle(testing::cert_request(method, target, body, "admin"), [&](ApiResponse a) { got = std::move(a); });
    return got;
  }
  Json state() const { return rules::to_json(core_.state()); }

  NoOutbox out_;
  testing::OneVoterCore one_{[] { return TimeMs{1000}; }, out_};
  ControllerCore& core_ = *one_.core;
  EventHistory& history_ = *one_.history;
  std::unique_ptr<ApiRoutes> routes_;
};

struct Row {
  const char* method;
  const char* target;
  const char* body;
  int status;
  // What must hold of the state afterwards (nullptr: only the status is checked; a
  // refusal must also leave the state unchanged).
  std::function<bool(const Json&)> after;
};

TEST_F(ApiRoutesTest, EveryRouteAnswersAndChangesOnlyWhatItSays) {
  const std::string rule =
      R"({"pool": "p1", "home": "h1", "vips": [{"cidr": "198.18.1.100/24"}], "acquire_script": "a.sh", "release_script": "r.sh"})";
  const std::vector<Row> rows = {
      {"GET", "/v1/status", "", 200, nullptr},
      {"GET", "/v1/settings", "", 200, nullptr},
      {"GET", "/v1/events?limit=5", "", 200, nullptr},
      {"GET", "/v1/certificates", "", 200, nullptr},
      {"PUT", "/v1/pools/p1", R"({"min_takeover_ratio": 0.5})", 200,
       [](const Json& s) { return s["pools"].contains("p1"); }},
      {"PUT", "/v1/pools/p1", R"({"id": "p2"})", 400, nullptr},
      {"PUT", "/v1/nodes/h1", R"({"pool": "p1"})", 200, [](const Json& s) { return s["nodes"].contains("h1"); }},
      {"PUT", "/v1/nodes/h2", R"({"pool": "p1", "priority": 90})", 200,
       [](const Json& s) { return s["nodes"]["h2"]["spec"]["priority"] == 90; }},
      {"PUT", "/v1/nodes/h3", R"({"pool": "nosuch"})", 409, nullptr},
      {"PUT", "/v1/rules/r1", rule.c_str(), 200, [](const Json& s) { return s["rules"].contains("r1"); }},
      {"PUT", "/v1/rules/r2", R"({"pool": "p1", "vips": [{"cidr": "not-an-address"}]})", 400, nullptr},
      {"POST", "/v1/rules/r1/freeze", R"({"on": true})", 200, [](const Json& s) { return s["rules"]["r1"]["frozen"] == true; }},
      {"POST", "/v1/rules/r1/freeze", R"({"on": false})", 200, [](const Json& s) { return s["rules"]["r1"]["frozen"] == false; }},
      {"POST", "/v1/rules/r1/freeze", R"({"colour": "red"})", 400, nullptr},
      {"POST", "/v1/pools/p1/freeze", R"({"on": true})", 200,
       [](const Json& s) { return s["pools"]["p1"]["spec"]["frozen"] == true; }},
      {"POST", "/v1/pools/p1/freeze", R"({"on": false})", 200,
       [](const Json& s) { return s["pools"]["p1"]["spec"]["frozen"] == false; }},
      {"POST", "/v1/nodes/h2/maintenance", R"({"on": true})", 200,
       [](const Json& s) { return s["nodes"]["h2"]["maintenance"] == true; }},
      {"POST", "/v1/nodes/h2/maintenance", R"({"on": false})", 200,
       [](const Json& s) { return s["nodes"]["h2"]["maintenance"] == false; }},
      {"POST", "/v1/rules/r1/switchover", R"({"target": "nosuch"})", 409, nullptr},
      {"POST", "/v1/rules/r1/switchover", R"({"target": "h2", "override": true})", 400, nullptr},
      {"POST", "/v1/rules/r1/failback", "", 409, nullptr},
      {"POST", "/v1/rules/r1/resume", "", 200,  // unplaced (no node heard): resume leaves it so
       [](const Json& s) { return s["rules"]["r1"]["phase"] == "unplaced"; }},
      {"PUT", "/v1/settings", R"({"suspect_after_ms": 100})", 409, nullptr},
      {"PUT", "/v1/settings", R"({"heartbeat_interval_ms": 200, "suspect_after_ms": 900, "isolation_timeout_ms": 1200})", 200,
       [](const Json& s) { return s["settings"]["suspect_after_ms"] == 900; }},
      {"POST", "/v1/apply", R"({"nodes": [{"id": "h3", "pool": "p1"}]})", 200,
       [](const Json& s) { return s["nodes"].contains("h3"); }},
      {"POST", "/v1/apply", R"({"nodes": [{"id": "h4", "pool": "p1"}], "rules": [{"id": "bad"}]})", 400, nullptr},
      {"POST", "/v1/tokens", R"({"node": "h5", "ttl_s": 600})", 200, nullptr},
      {"POST", "/v1/tokens", R"({"node": "h/5"})", 400, nullptr},
      {"POST", "/v1/certificates/revoke", R"({"serial": "a1b2c3", "note": "lost"})", 200,
       [](const Json& s) { return s["revoked"].contains("a1b2c3"); }},
      {"POST", "/v1/certificates/revoke", R"({"serial": "xyz"})", 400, nullptr},
      {"GET", "/v1/cluster", "", 503, nullptr},  // no consensus member behind these routes
      // Templates: stored, used by apply (the rule keeps their name), not deletable in use.
      {"PUT", "/v1/templates/gw", R"({"description": "网关", "pool": "p1", "acquire_script": "a.sh"})", 200,
       [](const Json& s) { return s["templates"]["gw"]["description"] == "网关"; }},
      {"PUT", "/v1/templates/gw2", R"({"scrip_timeout_ms": 1})", 400, nullptr},
      {"PUT", "/v1/templates/gw3", R"({"id": "other"})", 400, nullptr},
      {"GET", "/v1/templates", "", 200, nullptr},
      {"GET", "/v1/defaults", "", 200, nullptr},
      {"POST", "/v1/apply", R"({"rules": [{"id": "r5", "template": "gw", "group": "g1", "vips": [{"cidr": "198.18.1.105/24"}]}]})",
       200, [](const Json& s) { return s["rules"]["r5"]["spec"]["from_template"] == "gw" &&
                                       s["rules"]["r5"]["spec"]["acquire_script"] == "a.sh"; }},
      {"POST", "/v1/apply", R"({"rules": [{"id": "r6", "template": "nosuch", "vips": [{"cidr": "198.18.1.106/24"}]}]})", 400,
       nullptr},
      {"DELETE", "/v1/templates/gw", "", 409, nullptr},
      // A group switches through its first rule: r5 has no primary yet, so refused.
      {"POST", "/v1/groups/g1/switchover", "{}", 409, nullptr},
      {"POST", "/v1/groups/nosuch/switchover", "{}", 404, nullptr},
      {"POST", "/v1/groups/g1/switchover", R"({"pool": "p9"})", 404, nullptr},
      {"PUT", "/v1/templates/gw", R"({"pool": "p1", "acquire_script": "a.sh", "used_by": ["r5"]})", 200,
       [](const Json& s) { return !s["templates"]["gw"].contains("used_by"); }},  // GET's extra, ignored
      {"DELETE", "/v1/rules/r5", "", 200, [](const Json& s) { return !s["rules"].contains("r5"); }},
      {"DELETE", "/v1/templates/gw", "", 200, [](const Json& s) { return !s["templates"].contains("gw"); }},
      {"DELETE", "/v1/rules/r1", "", 200, [](const Json& s) { return !s["rules"].contains("r1"); }},
      {"DELETE", "/v1/rules/r1", "", 409, nullptr},
      {"DELETE", "/v1/nodes/h3", "", 200, [](const Json& s) { return !s["nodes"].contains("h3"); }},
      {"DELETE", "/v1/pools/p1", "", 409, nullptr},  // it still has nodes
      {"GET", "/v1/nosuch", "", 404, nullptr},
      {"PATCH", "/v1/rules/r1", "{}", 404, nullptr},
      {"GET", "/v2/status", "", 404, nullptr},
      {"PUT", "/v1/pools/p9", "{not json", 400, nullptr},
  };
  int refused = 0;
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.method) + " " + row.target + " " + row.body);
    const Json before = state();
    const ApiResponse got = call(row.method, row.target, row.body);
    EXPECT_EQ(got.status, row.status) << got.body.dump();
    if (got.status >= 400) {
      ++refused;
      EXPECT_TRUE(got.body.contains("error")) << got.body.dump();
      EXPECT_EQ(state(), before) << "a refused request changed the state";
    }
    if (row.after) {
      EXPECT_TRUE(row.after(state())) << state().dump().substr(0, 600);
    }
  }
  std::printf("%zu route calls, %d refused with the state unchanged\n", rows.size(), refused);
}

// A refused spec names the field it is about (the console shows the message there),
// whether the decoder, the validation or the engine refused it.
TEST_F(ApiRoutesTest, RefusalsNameTheirField) {
  ASSERT_EQ(call("PUT", "/v1/pools/p1", "{}").status, 200);
  ASSERT_EQ(call("PUT", "/v1/nodes/h1", R"({"pool": "p1"})").status, 200);
  struct Case { const char* target; const char* body; int status; const char* field; };
  const Case cases[] = {
      {"/v1/rules/r7", R"({"pool": "p1", "home": "nosuch", "vips": [{"cidr": "198.18.1.107/24"}]})", 409, "home"},
      {"/v1/rules/r7", R"({"pool": "p1", "vips": [{"cidr": "bad"}]})", 400, "vips"},
      {"/v1/rules/r7", R"({"pool": "p1", "vips": [{"cidr": 5}]})", 400, "vips[0].cidr"},
      {"/v1/rules/r7", R"({"pool": "p1", "vips": []})", 400, "vips"},
      {"/v1/rules/r7", R"({"pool": "nosuch", "vips": [{"cidr": "198.18.1.107/24"}]})", 409, "pool"},
      {"/v1/rules/r7", R"({"pool": "p1", "script_timeout_ms": 5, "vips": [{"cidr": "198.18.1.107/24"}]})", 400,
       "script_timeout_ms"},
      {"/v1/rules/r7", R"({"pool": "p1", "colour": "red", "vips": [{"cidr": "198.18.1.107/24"}]})", 400, ""},
      {"/v1/nodes/n9", R"({"pool": "nosuch"})", 409, "pool"},
      {"/v1/nodes/n9", R"({"pool": "p1", "capacity": "x"})", 400, "capacity"},
      {"/v1/pools/p2", R"({"min_takeover_ratio": 7})", 409, "min_takeover_ratio"},
      {"/v1/templates/t1", R"({"monitors": [{"name": "m", "kind": "nope"}]})", 400, "monitors"},
  };
  for (const auto& c : cases) {
    const ApiResponse got = call("PUT", c.target, c.body);
    EXPECT_EQ(got.status, c.status) << c.body << " " << got.body.dump();
    EXPECT_EQ(got.body.value("field", ""), c.field) << c.body << " " << got.body.dump();
    std::printf("PUT %s %s -> %d field '%s': %s\n", c.target, c.body, got.status, got.body.value("field", "").c_str(),
                got.body.value("error", "").c_str());
  }
}

// A group is one pool's (rules::unit_of): a name two pools use needs the pool.
TEST_F(ApiRoutesTest, AGroupSwitchNamesItsPoolWhenTheNameIsShared) {
  for (const char* p : {"p1", "p2"}) ASSERT_EQ(call("PUT", std::string("/v1/pools/") + p, "{}").status, 200);
  ASSERT_EQ(call("PUT", "/v1/rules/a1", R"({"pool": "p1", "group": "db", "vips": [{"cidr": "198.18.1.111/24"}]})").status, 200);
  ASSERT_EQ(call("PUT", "/v1/rules/b1", R"({"pool": "p2", "group": "db", "vips": [{"cidr": "198.18.1.112/24"}]})").status, 200);
  const ApiResponse both = call("POST", "/v1/groups/db/switchover", "{}");
  EXPECT_EQ(both.status, 409) << both.body;
  EXPECT_NE(both.body["error"].get<std::string>().find("pools p1, p2"), std::string::npos) << both.body;
  const ApiResponse one = call("POST", "/v1/groups/db/switchover", R"({"pool": "p2"})");
  EXPECT_EQ(one.status, 409) << one.body;  // reaches b1's switchover: no node is up, so it has no primary
  EXPECT_NE(one.body["error"].get<std::string>().find("rule b1"), std::string::npos) << one.body;
  std::printf("shared group name: %s; with the pool: %s\n", both.body["error"].get<std::string>().c_str(),
              one.body["error"].get<std::string>().c_str());
}

}  // namespace
}  // namespace poolha::controller
