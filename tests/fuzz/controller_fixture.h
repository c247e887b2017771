// A controller core on an in-memory SQLite database with a small configured cluster
// (pool p1, nodes h1..h3, rule r1 on h1 with a VIP), the same code the daemon runs (a
// one-voter Raft log, tests/support/one_voter_log.h), for the fuzzers that feed it
// agents' messages and API requests.
#pragma once
#include <memory>

#include "controller_core/controller_core.h"
#include "tests/support/one_voter_log.h"

namespace poolha::fuzz {

struct NullOutbox : controller::Outbox {
  bool send_command(const rules::NodeId&, const wire::Command&) override { return true; }
  void send_role(const rules::NodeId&, const wire::RoleAssignment&) override {}
  void consult_arbiter(const rules::NodeId&) override {}
  void arbiter_heard(const rules::NodeId&) override {}
  bool grant_vouching() override { return true; }
};

struct ControllerFixture {
  std::unique_ptr<store::SqliteDb> db;
  std::unique_ptr<controller::EventHistory> history;
  NullOutbox out;
  rules::TimeMs clock = 1000;
  std::unique_ptr<testing::OneVoterLog> local;
  std::unique_ptr<controller::ControllerCore> core;

  ControllerFixture() {
    db = std::move(*store::SqliteDb::open(":memory:"));
    history = std::move(*controller::EventHistory::open(*db));
    local = std::make_unique<testing::OneVoterLog>(*db, [this] { return clock; });
    core = std::make_unique<controller::ControllerCore>(*local, *history, out, rules::Settings{});
    (void)local->start(*core);
    (void)testing::command_now(*core, rules::UpsertPool{{"p1"}}, "fuzz");
    for (const char* n : {"h1", "h2", "h3"}) {
      rules::NodeSpec s;
      s.id = n;
      s.pool = "p1";
      (void)testing::command_now(*core, rules::UpsertNode{s}, "fuzz");
    }
    rules::RuleSpec r;
    r.id = "r1";
    r.pool = "p1";
    r.home = "h1";
    r.vips = {{"198.18.0.101/24", ""}};
    (void)testing::command_now(*core, rules::UpsertRule{r, 1000}, "fuzz");
  }
};

}  // namespace poolha::fuzz
