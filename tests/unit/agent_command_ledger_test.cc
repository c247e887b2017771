#include <gtest/gtest.h>

#include "agent/command_ledger.h"

namespace poolha::agent {
namespace {

using V = CommandLedger::Verdict;

wire::Command cmd(uint64_t id, uint64_t epoch, const std::string& rule = "r1", const std::string& script = "") {
  wire::Command c;
  c.set_action_id(id);
  c.set_epoch(epoch);
  c.set_rule(rule);
  c.set_kind(wire::Command::ACQUIRE);
  c.add_vips()->set_cidr("198.18.1.10/24");
  c.set_script(script);
  return c;
}

wire::CommandResult ok(uint64_t id) {
  wire::CommandResult r;
  r.set_action_id(id);
  r.set_outcome(wire::CommandResult::OK);
  r.set_detail("done");
  r.set_script_output("lots of output");
  return r;
}

TEST(CommandLedger, OlderEpochIsStaleAndDoesNothing) {
  CommandLedger l;
  EXPECT_EQ(l.admit(cmd(1, 5)).verdict, V::Run);
  l.complete(ok(1));
  auto a = l.admit(cmd(2, 4));
  EXPECT_EQ(a.verdict, V::Stale);
  EXPECT_EQ(a.reply.outcome(), wire::CommandResult::STALE);
  EXPECT_EQ(a.reply.action_id(), 2u);
  EXPECT_EQ(l.newest_epoch("r1"), 5u);
  EXPECT_EQ(l.admit(cmd(3, 5)).verdict, V::Run);  // same epoch is fine
  EXPECT_EQ(l.admit(cmd(4, 1, "r2")).verdict, V::Run);  // epochs are per rule
}

TEST(CommandLedger, RepeatedActionGetsTheCachedResult) {
  CommandLedger l;
  ASSERT_EQ(l.admit(cmd(7, 1)).verdict, V::Run);
  EXPECT_EQ(l.admit(cmd(7, 1)).verdict, V::InProgress);
  l.complete(ok(7));
  auto a = l.admit(cmd(7, 1));
  EXPECT_EQ(a.verdict, V::Duplicate);
  EXPECT_EQ(a.reply.detail(), "done");
  EXPECT_EQ(l.actions_done(), 7u);
  // Even after a newer epoch, a repeat is answered, not called stale.
  ASSERT_EQ(l.admit(cmd(8, 2)).verdict, V::Run);
  EXPECT_EQ(l.admit(cmd(7, 1)).verdict, V::Duplicate);
}

TEST(CommandLedger, CacheKeepsTheNewest256) {
  CommandLedger l;
  for (uint64_t id = 1; id <= 300; ++id) {
    ASSERT_EQ(l.admit(cmd(id, 1)).verdict, V::Run);
    l.complete(ok(id));
  }
  EXPECT_EQ(l.cached(44), nullptr);
  EXPECT_NE(l.cached(45), nullptr);
  EXPECT_EQ(l.actions_done(), 300u);
}

TEST(CommandLedger, ScriptWithASlashIsRefused) {
  CommandLedger l;
  auto a = l.admit(cmd(1, 1, "r1", "../../bin/sh"));
  EXPECT_EQ(a.verdict, V::Refused);
  EXPECT_EQ(a.reply.outcome(), wire::CommandResult::FAILED);
  EXPECT_EQ(l.newest_epoch("r1"), 0u);  // nothing recorded
}

TEST(CommandLedger, RoleAssignmentsShareTheEpochTable) {
  CommandLedger l;
  EXPECT_TRUE(l.note_role(0, "r1", 3));
  EXPECT_FALSE(l.note_role(0, "r1", 2));
  EXPECT_EQ(l.admit(cmd(1, 2)).verdict, V::Stale);
}

// Issue 9 §3: the agent read no term. A deposed controller (or a no-quorum override a
// new leader has overtaken) shares the per-rule epoch space, so only the term tells
// its commands from the new leader's.
TEST(CommandLedger, CommandsAndRolesOfAnOlderTermAreStale) {
  CommandLedger l;
  auto newer = cmd(1, 5);
  newer.set_term(7);
  ASSERT_EQ(l.admit(newer).verdict, V::Run);
  l.complete(ok(1));
  auto deposed = cmd(2, 5, "r2");  // another rule: no epoch of its own yet
  deposed.set_term(6);
  auto a = l.admit(deposed);
  EXPECT_EQ(a.verdict, V::Stale);
  EXPECT_EQ(a.reply.agent_term(), 7u);
  EXPECT_NE(a.reply.detail().find("term 6 is older than term 7"), std::string::npos) << a.reply.detail();
  EXPECT_EQ(l.newest_epoch("r2"), 0u) << "a stale command records nothing";
  EXPECT_FALSE(l.note_role(6, "r2", 9));
  EXPECT_TRUE(l.note_role(7, "r2", 9));
  EXPECT_TRUE(l.note_role(8, "r2", 9));
  EXPECT_EQ(l.newest_term(), 8u);
  auto back = CommandLedger::from_json(l.to_json());
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->newest_term(), 8u) << "the term survives an agent restart";
  EXPECT_TRUE(CommandLedger::from_json("{\"version\": 1, \"epochs\": {}, \"actions_done\": 0, \"results\": []}").ok())
      << "a state file from before terms were kept";
}

TEST(CommandLedger, PersistsEpochsActionsAndResults) {
  CommandLedger l;
  ASSERT_EQ(l.admit(cmd(9, 4)).verdict, V::Run);
  l.complete(ok(9));
  l.note_role(0, "r2", 11);
  auto back = CommandLedger::from_json(l.to_json());
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->actions_done(), 9u);
  EXPECT_EQ(back->newest_epoch("r1"), 4u);
  EXPECT_EQ(back->newest_epoch("r2"), 11u);
  EXPECT_EQ(back->admit(cmd(10, 3)).verdict, V::Stale);
  auto dup = back->admit(cmd(9, 4));
  EXPECT_EQ(dup.verdict, V::Duplicate);
  EXPECT_EQ(dup.reply.detail(), "done");
  EXPECT_TRUE(dup.reply.script_output().empty());  // output is not persisted
  EXPECT_FALSE(CommandLedger::from_json("{\"version\": 7}").ok());
  EXPECT_FALSE(CommandLedger::from_json("not json").ok());
}

}  // namespace
}  // namespace poolha::agent
