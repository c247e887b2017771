// The controller's config file: one shape whatever it says. Without `cluster:` the
// controller is a cluster of one voter (no member port) with the arbiter as witness;
// the witness-only arbiter is refused where the arbiters are voting members.
#include <gtest/gtest.h>

#include "controller/config.h"

namespace poolha::controller {
namespace {

const char* kBase =
    "name: ctl1\n"
    "state_dir: /var/lib/poolha\n"
    "tls: {ca: /etc/poolha/ca.crt, cert: /etc/poolha/ctl1.crt, key: /etc/poolha/ctl1.key}\n"
    "listen_agents: 198.18.0.1:7400\n"
    "listen_api: 127.0.0.1:7443\n";

const char* kPair =
    "cluster:\n"
    "  listen: 198.18.0.1:7403\n"
    "  members:\n"
    "    - {id: ctl1, role: controller, address: 198.18.0.1:7403}\n"
    "    - {id: ctl2, role: controller, address: 198.18.0.3:7403}\n"
    "    - {id: arb1, role: arbiter, address: 198.18.0.2:7403, witness: 198.18.0.2:7400}\n";

TEST(ControllerConfig, WithoutClusterIsAOneVoterClusterWithTheArbiterAsWitness) {
  auto c = parse_controller_config(std::string(kBase) + "arbiter: 198.18.0.2:7400\n", "controller.yaml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->cluster.voter_count(), 1u);
  EXPECT_FALSE(c->cluster.listen);
  EXPECT_TRUE(c->cluster.initial().is_voter("ctl1"));
  EXPECT_FALSE(c->cluster.initial().is_voter("arb1"));
  ASSERT_TRUE(c->arbiter);
  EXPECT_EQ(c->arbiter->str(), "198.18.0.2:7400");
}

TEST(ControllerConfig, AOneVoterClusterSectionMayHaveAWitnessArbiter) {
  auto c = parse_controller_config(std::string(kBase) +
                                       "arbiter: 198.18.0.2:7400\n"
                                       "cluster:\n  listen: 198.18.0.1:7403\n"
                                       "  members: [{id: ctl1, role: controller, address: 198.18.0.1:7403}]\n",
                                   "controller.yaml");
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c->cluster.listen);
  EXPECT_EQ(c->cluster.listen->str(), "198.18.0.1:7403");
}

TEST(ControllerConfig, AWitnessOnlyArbiterIsRefusedBesideVotingArbiters) {
  auto pair = parse_controller_config(std::string(kBase) + kPair, "controller.yaml");
  ASSERT_TRUE(pair.ok()) << pair.error();
  EXPECT_EQ(pair->cluster.voter_count(), 3u);
  auto c = parse_controller_config(std::string(kBase) + kPair + "arbiter: 198.18.0.2:7400\n", "controller.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("arbiter: with 3 voters"), std::string::npos) << c.error();
}

TEST(ControllerConfig, RefusalsNameTheFileLineAndField) {
  auto twice = parse_controller_config(std::string(kBase) + "listen_api: 127.0.0.1:7444\n", "controller.yaml");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error(), "controller.yaml:6:1: listen_api: given twice");
  auto role = parse_controller_config(std::string(kBase) +
                                          "cluster:\n  listen: 198.18.0.1:7403\n"
                                          "  members: [{id: ctl1, role: boss, address: 198.18.0.1:7403}]\n",
                                      "controller.yaml");
  ASSERT_FALSE(role.ok());
  EXPECT_EQ(role.error(), "controller.yaml:8:30: cluster.members[0].role: 'boss' is not one of arbiter, controller");
  auto timing = parse_controller_config(std::string(kBase) + "settings: {suspect_after_ms: soon}\n", "controller.yaml");
  ASSERT_FALSE(timing.ok());
  EXPECT_EQ(timing.error(), "controller.yaml:6:30: settings.suspect_after_ms: expected an integer 0..3600000, got 'soon'");
}

}  // namespace
}  // namespace poolha::controller
