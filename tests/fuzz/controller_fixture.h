// A controller core on an in-memory SQLite database with a small configured cluster
// (pool p1, nodes h1..h3, rule r1 on h1 with a VIP), the same code the daemon runs (a
// one-voter Raft log, tests/support/one_voter_log.h), for the fuzzers that feed it
// agents' messages and API requests.
#pragma once
#include <memory>

#include "controller_core/controller_core.h"
#include "tests/support/no_outbox.h"
#include "tests/support/one_voter_log.h"

namespace poolha::fuzz {

struct ControllerFixture {
  testing::NoOutbox out;
  rules::TimeMs clock = 1000;
  testing::OneVoterCore one{[this] { return clock; }, out};
  controller::ControllerCore* core = one.core.get();
  controller::EventHistory* history = one.history.get();

  ControllerFixture() {
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
