#include <gtest/gtest.h>

#include "agent/monitor_state.h"

namespace poolha::agent {
namespace {

using Step = MonitorState::Step;

TEST(MonitorState, ThresholdConfirmsAFailure) {
  MonitorState m(3, 0);
  EXPECT_EQ(m.on_result(false, "down"), Step::None);
  EXPECT_EQ(m.on_result(false, "down"), Step::None);
  EXPECT_TRUE(m.healthy());
  EXPECT_EQ(m.on_result(false, "down"), Step::Failed);
  EXPECT_FALSE(m.healthy());
  EXPECT_EQ(m.detail(), "down");
  EXPECT_EQ(m.on_result(false, "down"), Step::None);  // reported once
  EXPECT_EQ(m.on_result(true, "up"), Step::Recovered);
  EXPECT_TRUE(m.healthy());
}

TEST(MonitorState, OneSuccessResetsTheCount) {
  MonitorState m(2, 0);
  EXPECT_EQ(m.on_result(false, ""), Step::None);
  EXPECT_EQ(m.on_result(true, ""), Step::None);
  EXPECT_EQ(m.on_result(false, ""), Step::None);
  EXPECT_TRUE(m.healthy());
  EXPECT_EQ(m.on_result(false, ""), Step::Failed);
}

TEST(MonitorState, RestartsComeFirstEachWithAFreshCount) {
  MonitorState m(2, 2);
  EXPECT_EQ(m.on_result(false, "x"), Step::None);
  EXPECT_EQ(m.on_result(false, "x"), Step::Restart);
  EXPECT_EQ(m.on_result(false, "x"), Step::None);  // while the restart runs
  m.restarted("restart script exited 0");
  EXPECT_EQ(m.on_result(false, "x"), Step::None);
  EXPECT_EQ(m.on_result(false, "x"), Step::Restart);
  m.restarted("restart script exited 0");
  EXPECT_EQ(m.restarts_used(), 2);
  EXPECT_EQ(m.on_result(false, "x"), Step::None);
  EXPECT_TRUE(m.healthy());
  EXPECT_EQ(m.on_result(false, "x"), Step::Failed);
  EXPECT_FALSE(m.healthy());
  EXPECT_EQ(m.detail(), "x (after 2 local restart(s))");
}

TEST(MonitorState, SuccessAfterARestartClearsEverything) {
  MonitorState m(1, 1);
  EXPECT_EQ(m.on_result(false, ""), Step::Restart);
  m.restarted("");
  EXPECT_EQ(m.on_result(true, "ok"), Step::None);  // never reported failed
  EXPECT_EQ(m.restarts_used(), 0);
  EXPECT_EQ(m.on_result(false, ""), Step::Restart);  // the budget is back
}

}  // namespace
}  // namespace poolha::agent
