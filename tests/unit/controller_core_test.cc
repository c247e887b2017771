// ControllerCore over a real SQLite file and a one-voter Raft log (the daemon's Raft
// and storage, synchronous: tests/support/one_voter_log.h), with a recording Outbox
// instead of sockets: placement, a host loss with the arbiter consult, refusals that change
// nothing, and a restart that loses nothing and resends in-flight actions.
#include "controller_core/controller_core.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "common/json_text.h"
#include "common/utf8.h"
#include "controller/api_routes.h"
#include "rules/json_codec.h"
#include "tests/support/api_request.h"
#include "tests/support/one_voter_log.h"

namespace poolha::controller {
namespace {

namespace fs = std::filesystem;

struct RecordingOutbox : Outbox {
  std::vector<std::pair<NodeId, wire::Command>> commands;
  std::vector<std::pair<NodeId, wire::RoleAssignment>> roles;
  std::vector<NodeId> consults, heard;
  std::set<NodeId> offline;
  bool send_command(const NodeId& n, const wire::Command& c) override {
    if (offline.count(n)) return false;
    commands.emplace_back(n, c);
    return true;
  }
  void send_role(const NodeId& n, const wire::RoleAssignment& r) override { roles.emplace_back(n, r); }
  void consult_arbiter(const NodeId& n) override { consults.push_back(n); }
  void arbiter_heard(const NodeId& n) override { heard.push_back(n); }
  bool grant_vouching() override { return ++grants > 0; }
  int grants = 0;
};

class ControllerCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("poolha-core-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    open(1000);
  }
  void TearDown() override {
    close();
    fs::remove_all(dir_);
  }
  void open(TimeMs now) {
    db_ = std::move(*store::SqliteDb::open((dir_ / "controller.db").string()));
    history_ = std::move(*EventHistory::open(*db_));
    audit_ = std::move(*AuditStore::open(*db_));
    out_ = RecordingOutbox{};
    clock_ = now;
    local_ = std::make_unique<testing::OneVoterLog>(*db_, [this] { return clock_; });
    core_ = std::make_unique<ControllerCore>(*local_, *history_, out_, rules::Settings{});
    core_->set_audit_store(audit_.get());
    if (snapshot_every_) core_->set_snapshot_every(snapshot_every_);
    ASSERT_TRUE(local_->start(*core_).ok());
  }
  void close() {
    core_.reset();
    local_.reset();
    audit_.reset();
    history_.reset();
    db_.reset();
  }
  void heartbeat(const NodeId& n, TimeMs now, std::vector<std::string> vips = {}) {
    wire::Heartbeat hb;
    hb.add_subnets("198.18.0.0/24");
    for (const auto& v : vips) hb.add_held_vips(v);
    clock_ = now;
    core_->on_heartbeat(n, hb, now);
  }
  void answer(const wire::Command& c, TimeMs now, wire::CommandResult::Outcome o = wire::CommandResult::OK) {
    wire::CommandResult r;
    r.set_action_id(c.action_id());
    r.set_outcome(o);
    r.set_vips_removed(true);
    clock_ = now;
    core_->on_result(c.new_node().empty() ? "" : (c.kind() == wire::Command::ACQUIRE ? c.new_node() : c.old_node()), r, now);
  }
  void configure() {
    auto cmd = [&](rules::Event e) { ASSERT_TRUE(testing::command_now(*core_, std::move(e), "admin").ok()); };
    cmd(rules::UpsertPool{{"p1"}});
    for (const char* n : {"h1", "h2", "h3"}) {
      rules::NodeSpec s;
      s.id = n;
      s.pool = "p1";
      cmd(rules::UpsertNode{s});
    }
    rules::RuleSpec r;
    r.id = "r1";
    r.pool = "p1";
    r.home = "h1";
    r.vips = {{"198.18.0.101/24", ""}};
    cmd(rules::UpsertRule{r, 1000});
  }
  // Brings r1 up on h1 (heartbeats from everyone, acquire answered).
  void place(TimeMs t) {
    configure();
    for (const char* n : {"h1", "h2", "h3"}) heartbeat(n, t);
    ASSERT_FALSE(out_.commands.empty());
    const auto [node, c] = out_.commands.back();
    EXPECT_EQ(node, "h1");
    EXPECT_EQ(c.kind(), wire::Command::ACQUIRE);
    answer(c, t + 50);
    EXPECT_EQ(core_->state().rules.at("r1").primary, "h1");
  }

  void tick(TimeMs now) {
    clock_ = now;
    core_->on_timer(now, 600);
  }
  void arbiter_says(const NodeId& n, bool sees, int64_t since, TimeMs now) {
    clock_ = now;
    core_->on_arbiter_answer(n, true, sees, since, now);
  }

  TimeMs clock_ = 0;
  std::unique_ptr<testing::OneVoterLog> local_;
  fs::path dir_;
  std::unique_ptr<store::SqliteDb> db_;
  std::unique_ptr<EventHistory> history_;
  std::unique_ptr<AuditStore> audit_;
  uint64_t snapshot_every_ = 0;
  RecordingOutbox out_;
  std::unique_ptr<ControllerCore> core_;
};

// The audit trail is made by applying the log: operator commands (accepted or refused)
// and access changes each leave one chained record with who, from where and why; the
// access state and the chain head survive snapshots and restarts, and a restart does
// not write a record twice.
TEST_F(ControllerCoreTest, OperatorCommandsAndAccessChangesAreAuditedAcrossSnapshotsAndRestarts) {
  close();
  snapshot_every_ = 3;
  open(1000);
  access::Actor admin = testing::test_actor("admin");
  access::Bootstrap b{{{"sys", "", {"sysadmin", "operator"}, "h1"},
                       {"sec", "", {"secadmin"}, "h2"},
                       {"aud", "", {"auditadmin"}, "h3"}},
                      std::string(64, 'a')};
  ASSERT_TRUE(testing::command_now(*core_, LogEntry(access::Change(b), admin)).ok());
  access::Actor sys = testing::test_actor("sys");
  sys.roles = {"sysadmin", "operator"};
  sys.source = "198.18.0.9";
  sys.reason = "上线新网关";
  sys.ticket = "CHG-7";
  ASSERT_TRUE(testing::command_now(*core_, LogEntry(rules::UpsertPool{{"p1", 0.5, false}}, sys)).ok());
  EXPECT_FALSE(testing::command_now(*core_, LogEntry(rules::Failback{"nope", 1000}, sys)).ok());
  ASSERT_TRUE(testing::command_now(*core_, LogEntry(access::Change(access::LoginFailed{"sec", "198.18.0.7", "password"}),
                                                    testing::test_actor("sec")))
                  .ok());
  auto records = audit_->range(1, 100);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 4u);
  EXPECT_EQ((*records)[1].action, "upsert_pool");
  EXPECT_EQ((*records)[1].target, "pool p1");
  EXPECT_EQ((*records)[1].reason, "上线新网关");
  EXPECT_EQ((*records)[1].ticket, "CHG-7");
  EXPECT_EQ((*records)[1].roles, "sysadmin,operator");
  EXPECT_EQ((*records)[1].source, "198.18.0.9");
  EXPECT_EQ((*records)[2].result.rfind("refused", 0), 0u) << (*records)[2].result;
  EXPECT_EQ((*records)[3].result, "failed: password");
  const access::AuditHead head = core_->access().state().audit;
  auto check = access::verify_chain(*records, "", head);
  EXPECT_TRUE(check.ok) << check.problem;
  EXPECT_EQ(core_->access().account("sec")->failures, 1);

  close();
  open(2000);  // snapshot (every 3 entries) + the entries after it
  EXPECT_EQ(core_->access().state().audit.seq, head.seq);
  EXPECT_EQ(core_->access().state().audit.hash, head.hash);
  EXPECT_EQ(core_->access().account("sec")->failures, 1);
  EXPECT_EQ(audit_->last_seq(), 4u);
  EXPECT_EQ(audit_->range(1, 100)->size(), 4u);
  // The table refuses edits outright; the chain catches what goes around it.
  EXPECT_FALSE(db_->exec("UPDATE audit SET result = 'ok' WHERE seq = 3").ok());
  EXPECT_FALSE(db_->exec("DELETE FROM audit WHERE seq = 2").ok());
}

// A snapshot written before accounts existed (the engine's state alone) still restores.
TEST(LogEntryCodec, SnapshotsFromBeforeAccountsAndEntriesWithActorsRead) {
  rules::ClusterState old;
  old.term = 7;
  auto snap = snapshot_from_json(rules::to_json(old));
  ASSERT_TRUE(snap.ok()) << snap.error();
  EXPECT_EQ(snap->engine.term, 7u);
  EXPECT_TRUE(snap->access.accounts.empty());
  LogEntry e(rules::Switchover{"gw1", "h4", true, 5}, testing::test_actor("ops"));
  auto back = entry_from_json(to_json(e));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(json_text(to_json(*back)), json_text(to_json(e)));
  // An access change must say who made it.
  auto j = to_json(LogEntry(access::Change(access::Unlock{"ops"}), testing::test_actor("sec")));
  j.erase("by");
  EXPECT_FALSE(entry_from_json(j).ok());
}

TEST_F(ControllerCoreTest, PlacesRuleAndSurvivesRestart) {
  place(1100);
  const uint64_t term = core_->state().term;
  const auto before = rules::to_json(core_->state());
  close();
  open(1200);
  EXPECT_EQ(core_->state().rules.at("r1").primary, "h1");
  EXPECT_EQ(core_->state().term, term + 1);
  auto after = rules::to_json(core_->state());
  after["term"] = before["term"];
  EXPECT_EQ(after, before) << "a restart must rebuild exactly the state that was acknowledged";
}

TEST_F(ControllerCoreTest, RefusedCommandsChangeNothing) {
  place(1100);
  const auto before = rules::to_json(core_->state());
  EXPECT_FALSE(testing::command_now(*core_, rules::Switchover{"r1", "nosuchnode", false, 1200}, "admin").ok());
  EXPECT_FALSE(testing::command_now(*core_, rules::DeletePool{"p1"}, "admin").ok());  // still has nodes and rules
  rules::RuleSpec bad;
  bad.id = "r2";
  bad.pool = "p1";
  bad.vips = {{"198.18.0.300/24", ""}};
  EXPECT_FALSE(testing::command_now(*core_, rules::UpsertRule{bad, 1200}, "admin").ok());
  EXPECT_EQ(rules::to_json(core_->state()), before);
  close();
  open(1300);  // the refused commands were logged; replaying them must refuse them again
  auto after = rules::to_json(core_->state());
  after["term"] = before["term"];
  EXPECT_EQ(after, before);
}

TEST_F(ControllerCoreTest, LostPrimaryTakenOverAfterArbiterAndDeadline) {
  place(1100);
  TimeMs t = 1100;
  // h2 and h3 keep heartbeating; h1 falls silent.
  for (; t < 1100 + 700; t += 100) {
    heartbeat("h2", t);
    heartbeat("h3", t);
    tick(t);
  }
  ASSERT_EQ(out_.consults, std::vector<NodeId>{"h1"});
  const size_t sent = out_.commands.size();
  arbiter_says("h1", false, t - 1100, t);
  // No acquire before h1's isolation deadline (last heard + isolation + drift).
  const TimeMs deadline = 1100 + 800 + 150;
  for (; t < deadline; t += 50) {
    heartbeat("h2", t);
    heartbeat("h3", t);
    tick(t);
    for (size_t i = sent; i < out_.commands.size(); ++i) EXPECT_NE(out_.commands[i].second.kind(), wire::Command::ACQUIRE) << "at " << t;
  }
  tick(deadline);
  ASSERT_GT(out_.commands.size(), sent);
  const auto [node, c] = out_.commands.back();
  EXPECT_NE(node, "h1");
  EXPECT_EQ(c.kind(), wire::Command::ACQUIRE);
  answer(c, deadline + 200);
  EXPECT_EQ(core_->state().rules.at("r1").primary, node);
}

TEST_F(ControllerCoreTest, ArbiterStillSeesPrimaryMeansNoTakeover) {
  place(1100);
  TimeMs t = 1100;
  for (; t < 1900; t += 100) {
    heartbeat("h2", t);
    heartbeat("h3", t);
    tick(t);
  }
  const size_t sent = out_.commands.size();
  arbiter_says("h1", true, 100, t);
  for (; t < 5000; t += 100) {
    heartbeat("h2", t);
    heartbeat("h3", t);
    tick(t);
  }
  EXPECT_EQ(out_.commands.size(), sent);
  EXPECT_EQ(core_->state().rules.at("r1").primary, "h1");
  auto events = history_->query({"", "h1", 100});
  bool alerted = false;
  for (const auto& e : *events) alerted = alerted || e.kind == "alert:arbiter_sees_node";
  EXPECT_TRUE(alerted);
}

TEST_F(ControllerCoreTest, InFlightActionResentAfterRestartWithSameId) {
  configure();
  for (const char* n : {"h1", "h2", "h3"}) heartbeat(n, 1100);
  ASSERT_FALSE(out_.commands.empty());
  const wire::Command first = out_.commands.back().second;
  close();
  open(1500);
  ASSERT_FALSE(out_.commands.empty());
  EXPECT_EQ(out_.commands.back().second.action_id(), first.action_id());
  EXPECT_EQ(out_.commands.back().first, "h1");
  answer(out_.commands.back().second, 1600);
  EXPECT_EQ(core_->state().rules.at("r1").primary, "h1");
}

TEST_F(ControllerCoreTest, ReleaseThatCannotBeSentWaitsForAnOperator) {
  place(1100);
  out_.offline.insert("h1");  // its session is gone, the liveness timer has not fired yet
  const size_t sent = out_.commands.size();
  ASSERT_TRUE(testing::command_now(*core_, rules::Switchover{"r1", "h2", false, 1200}, "admin").ok());
  // We cannot know whether h1 still holds the VIP: nothing may be acquired elsewhere.
  for (size_t i = sent; i < out_.commands.size(); ++i) EXPECT_NE(out_.commands[i].second.kind(), wire::Command::ACQUIRE);
  EXPECT_EQ(core_->state().rules.at("r1").phase, rules::RulePhase::AdminWait);
}

// Issue 3: a member that stops hearing an agent tells the leader. The acting core warns
// when a member loses a node it still hears, says when it is heard again, and is quiet
// about nodes it has lost itself (that is node:unreachable's news).
TEST_F(ControllerCoreTest, MemberLosingANodeTheLeaderHearsIsAnAlert) {
  place(1100);
  auto kinds = [&](const NodeId& n) {
    std::vector<std::string> out;
    const auto rows = history_->query({"", n, 100});  // kept: the loop reads into it
    for (const auto& e : *rows)
      if (e.kind.find("_by_member") != std::string::npos) out.push_back(e.kind + " " + e.outcome);
    return out;
  };
  core_->on_member_sightings("ctl-b", {"h1", "ghost"}, 1200);
  EXPECT_EQ(kinds("h1"), std::vector<std::string>{"alert:node_unheard_by_member warning"});
  EXPECT_TRUE(core_->sightings().unheard_by("ghost").empty()) << "not a configured node: dropped";
  EXPECT_EQ(core_->sightings().unheard_by("h1"), std::vector<std::string>{"ctl-b"});
  core_->on_member_sightings("ctl-b", {"h1"}, 1300);  // the repeat is not news
  EXPECT_EQ(kinds("h1").size(), 1u);
  core_->on_member_sightings("ctl-b", {}, 1400);
  EXPECT_EQ(kinds("h1").size(), 2u);
  EXPECT_EQ(kinds("h1").back(), "alert:node_heard_by_member info");
  // h2 silent to us as well: no member alert.
  TimeMs t = 1400;
  for (; t < 2500; t += 100) {
    heartbeat("h1", t);
    heartbeat("h3", t);
    tick(t);
  }
  core_->on_member_sightings("arb", {"h2"}, t);
  EXPECT_TRUE(kinds("h2").empty());
  EXPECT_EQ(core_->sightings().unheard_by("h2"), std::vector<std::string>{"arb"});
  // h2 is heard again by us but still not by arb: the next periodic report alerts it
  // (the alerts follow the whole set, not only its changes).
  heartbeat("h2", t + 50);
  core_->on_member_sightings("arb", {"h2"}, t + 100);
  EXPECT_EQ(kinds("h2"), std::vector<std::string>{"alert:node_unheard_by_member warning"});
  // Nothing was decided from it: the rule stays where it was.
  EXPECT_EQ(core_->state().rules.at("r1").primary, "h1");
}

// What a member reports about itself: configured nodes silent for the suspect time, and
// configured nodes never heard once the start-up grace has passed.
TEST_F(ControllerCoreTest, UnheardNodesForTheReportToTheLeader) {
  configure();
  const TimeMs suspect = core_->state().settings.suspect_after_ms;
  heartbeat("h1", 2000);
  heartbeat("h2", 2000);
  EXPECT_TRUE(core_->unheard_nodes(2000, 5000).empty()) << "h3 never heard, but still in the grace";
  EXPECT_EQ(core_->unheard_nodes(2000, 2000), std::vector<NodeId>{"h3"});
  heartbeat("h1", 2000 + suspect);
  EXPECT_EQ(core_->unheard_nodes(2000 + suspect, 9000), std::vector<NodeId>{"h2"});
}


// Issue 9 §1: script output of Chinese text over 1 KiB (3-byte characters: the old
// 1024-byte cut split one) and a history row written cut mid-character by an older
// version must neither be stored nor served as anything but valid UTF-8.
TEST_F(ControllerCoreTest, ChineseScriptOutputOverOneKiBIsCutOnACharacter) {
  place(1100);
  std::string cjk;
  for (int i = 0; i < 400; ++i) cjk += "\xE5\x90\xAF";  // 启 x 400 = 1200 bytes
  const size_t sent = out_.commands.size();
  ASSERT_TRUE(testing::command_now(*core_, rules::Switchover{"r1", "h2", false, 1200}, "admin").ok());
  ASSERT_GT(out_.commands.size(), sent);
  const wire::Command rel = out_.commands.back().second;
  ASSERT_EQ(rel.kind(), wire::Command::RELEASE);
  wire::CommandResult r;
  r.set_action_id(rel.action_id());
  r.set_outcome(wire::CommandResult::OK);
  r.set_vips_removed(true);
  r.set_script_output(cjk);
  core_->on_result("h1", r, 1250);

  // A row an older controller wrote with a byte cut, straight into the table.
  ASSERT_TRUE(db_->run("INSERT INTO history (time_ms, kind, rule, node, outcome, duration_ms, detail, actor)"
                       " VALUES (1, 'release', 'r1', 'h1', 'ok', 5, ?1, 'controller')",
                       {std::string("output: ") + cjk.substr(0, 1024)})
                  .ok());

  ApiRoutes routes(*core_, *history_, false, "ctl", [] { return TimeMs{1300}; });
  ApiResponse got;
  routes.handle(testing::cert_request("GET", "/v1/events?limit=100", "", "admin"), [&](ApiResponse a) { got = std::move(a); });
  ASSERT_EQ(got.status, 200);
  const std::string body = json_text(got.body);
  EXPECT_TRUE(text::is_valid_utf8(body));
  size_t rows_with_output = 0;
  for (const auto& e : got.body["events"]) {
    const std::string detail = e["detail"].get<std::string>();
    ASSERT_TRUE(text::is_valid_utf8(detail)) << detail.size();
    if (detail.find("\xE5\x90\xAF") != std::string::npos) ++rows_with_output;
  }
  EXPECT_EQ(rows_with_output, 2u) << body.substr(0, 400);
  EXPECT_NO_THROW((void)got.body.dump()) << "every string the API holds is valid UTF-8";
}

TEST_F(ControllerCoreTest, ApiRefusesBodiesThatAreNotUtf8OrTooDeep) {
  configure();
  ApiRoutes routes(*core_, *history_, false, "ctl", [] { return TimeMs{1300}; });
  const auto before = rules::to_json(core_->state());
  auto call = [&](const std::string& method, const std::string& target, const std::string& body) {
    ApiResponse got;
    routes.handle(testing::cert_request(method, target, body, "admin"), [&](ApiResponse a) { got = std::move(a); });
    return got;
  };
  auto gbk = call("PUT", "/v1/pools/p2", "{\"id\": \"p2\", \"description\": \"\xD6\xD0\xCE\xC4\"}");
  EXPECT_EQ(gbk.status, 400);
  EXPECT_NE(gbk.body["error"].get<std::string>().find("UTF-8"), std::string::npos);
  auto deep = call("POST", "/v1/apply", std::string(200000, '[') + std::string(200000, ']'));
  EXPECT_EQ(deep.status, 400);
  EXPECT_NE(deep.body["error"].get<std::string>().find("deeper than"), std::string::npos);
  EXPECT_EQ(rules::to_json(core_->state()), before);
}


// Issue 9 §2, the controller's half: a rule naming a node's own address is refused
// before anything is sent, and an agent's refusal is shown (alert) and the engine
// moves on to another node.
TEST_F(ControllerCoreTest, VipThatIsANodesOwnAddressIsRefused) {
  place(1100);
  wire::NodeFacts facts;
  auto* eth0 = facts.add_interfaces();
  eth0->set_name("eth0");
  eth0->add_addresses("198.18.0.12/24");
  core_->on_agent_hello("h2", facts, 1150);
  const auto before = rules::to_json(core_->state());
  rules::RuleSpec r;
  r.id = "r2";
  r.pool = "p1";
  r.vips = {{"198.18.0.12/24", ""}};
  auto st = testing::command_now(*core_, rules::UpsertRule{r, 1200}, "admin");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("is the address of node h2"), std::string::npos) << st.error();
  EXPECT_EQ(rules::to_json(core_->state()), before);
  r.vips = {{"198.18.0.1/1", ""}};
  st = testing::command_now(*core_, rules::UpsertRule{r, 1200}, "admin");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("wider than /8"), std::string::npos) << st.error();
}

TEST_F(ControllerCoreTest, AnAgentsRefusalIsAnAlertAndTheNextNodeIsTried) {
  configure();
  for (const char* n : {"h1", "h2", "h3"}) heartbeat(n, 1100);
  ASSERT_FALSE(out_.commands.empty());
  const auto [node, c] = out_.commands.back();
  ASSERT_EQ(node, "h1");
  wire::CommandResult r;
  r.set_action_id(c.action_id());
  r.set_outcome(wire::CommandResult::REFUSED);
  r.set_detail("VIP 198.18.0.101/24 is outside this host's vip_subnets (198.18.9.0/24)");
  core_->on_result("h1", r, 1150);
  bool alerted = false;
  const auto rows = history_->query({"r1", "", 100});  // kept: the loop reads into it
  for (const auto& e : *rows)
    alerted = alerted || (e.kind == "alert:vip_refused" && e.detail.find("outside this host's vip_subnets") != std::string::npos);
  EXPECT_TRUE(alerted);
  const auto [next, c2] = out_.commands.back();
  EXPECT_NE(next, "h1");
  EXPECT_EQ(c2.kind(), wire::Command::ACQUIRE);
}


// Issue 9 §3: one agent key must not be able to grow the replicated log, the history
// or the controller's maps. A report that breaks a bound is refused whole (alerted
// once); changes that fit are rate-limited; monitors of unknown rules never reach the
// log; actions_done cannot claim actions nobody issued.
TEST_F(ControllerCoreTest, AgentReportsAreBoundedAndRateLimited) {
  place(1100);
  auto entries = [&] { return core_->log_index(); };
  auto alerts = [&] {
    const auto rows = history_->query({"", "h2", 1000});
    int n = 0;
    for (const auto& e : *rows) n += e.kind == "alert:agent_report_refused";
    return n;
  };
  // 20,000 held addresses, 15,000 monitors of unknown rules, every 5 ms for 2 s.
  const uint64_t before = entries();
  TimeMs t = 1200;
  for (int i = 0; i < 400; ++i, t += 5) {
    wire::Heartbeat hb;
    hb.add_subnets("198.18.0.0/24");
    hb.set_actions_done(UINT64_MAX);
    for (int k = 0; k < 20000; ++k) hb.add_held_vips("198.18." + std::to_string(k % 250) + "." + std::to_string(i % 2) + "/24");
    clock_ = t;
    core_->on_heartbeat("h2", hb, t);
  }
  EXPECT_EQ(entries(), before) << "an oversized report entered the log";
  EXPECT_EQ(alerts(), 1) << "alerted once a minute, not per heartbeat";
  EXPECT_GE(core_->agents().at("h2").refused_reports, 400u);
  // Within the bounds but flapping: unknown rules, and addresses no rule names.
  const uint64_t before2 = entries();
  for (int i = 0; i < 400; ++i, t += 5) {
    wire::Heartbeat hb;
    hb.add_subnets("198.18.0.0/24");
    hb.set_actions_done(UINT64_MAX);
    hb.add_held_vips(i % 2 ? "198.18.0.199/24" : "198.18.0.198/24");
    for (int k = 0; k < 32; ++k) {
      auto* m = hb.add_monitors();
      m->set_name("m");
      m->set_rule("ghost-" + std::to_string(i) + "-" + std::to_string(k));
      m->set_healthy(false);
      m->set_detail("\xE5\x90\xAF failing");
    }
    clock_ = t;
    core_->on_heartbeat("h2", hb, t);
  }
  EXPECT_EQ(entries(), before2) << "unknown rules and unowned addresses are nothing to the engine";
  // The real VIP flapping between held and not held: at most the budget's burst and rate.
  const uint64_t before3 = entries();
  const TimeMs t0 = t;
  for (int i = 0; i < 400; ++i, t += 5) {
    wire::Heartbeat hb;
    hb.add_subnets("198.18.0.0/24");
    hb.set_actions_done(UINT64_MAX);
    if (i % 2) hb.add_held_vips("198.18.0.101/24");
    clock_ = t;
    core_->on_heartbeat("h2", hb, t);
  }
  const double seconds = (t - t0) / 1000.0;
  const uint64_t proposed = entries() - before3;
  std::printf("rogue agent, 2 s at 200 heartbeats/s: oversized reports -> 0 log entries, %lu refused, 1 alert; "
              "unknown rules -> 0 entries; flapping a real VIP -> %lu entries in %.1f s (budget %g + %g/s)\n",
              static_cast<unsigned long>(core_->agents().at("h2").refused_reports), static_cast<unsigned long>(proposed),
              seconds, kReportBurst, kReportsPerSecond);
  EXPECT_LE(proposed, static_cast<uint64_t>(kReportBurst + kReportsPerSecond * seconds) + 1);
  EXPECT_GT(proposed, 0u);
}


// Issue 9 §3: revocation is a replicated denylist by serial; it survives a restart
// and the API server asks it about every operator certificate.
TEST_F(ControllerCoreTest, RevokedCertificatesAreReplicatedState) {
  configure();
  auto routes = std::make_unique<ApiRoutes>(*core_, *history_, false, "ctl", [] { return TimeMs{1300}; });
  auto call = [&](const std::string& method, const std::string& target, const std::string& body) {
    ApiResponse got;
    routes->handle(testing::cert_request(method, target, body, "admin"), [&](ApiResponse a) { got = std::move(a); });
    return got;
  };
  const pki::Identity laptop{"alice", pki::Role::Operator, "", "ab12"};
  EXPECT_FALSE(routes->revoked(laptop));
  EXPECT_EQ(call("POST", "/v1/certificates/revoke", R"({"serial": "xyz"})").status, 400);
  EXPECT_EQ(call("POST", "/v1/certificates/revoke", R"({"serial": "0xAB:12", "note": "lost laptop", "x": 1})").status, 400);
  EXPECT_TRUE(core_->state().revoked.empty()) << "refused requests change nothing";
  auto ok = call("POST", "/v1/certificates/revoke", R"({"serial": "0xAB:12", "note": "lost laptop"})");
  ASSERT_EQ(ok.status, 200) << json_text(ok.body);
  EXPECT_TRUE(routes->revoked(laptop));
  EXPECT_EQ(call("GET", "/v1/certificates", "").body["revoked"][0]["note"], "lost laptop");
  routes.reset();
  close();
  open(1400);
  EXPECT_EQ(core_->state().revoked.at("ab12"), "lost laptop") << "the denylist is in the log";
}

}  // namespace
}  // namespace poolha::controller
