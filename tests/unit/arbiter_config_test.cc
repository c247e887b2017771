// The arbiter's config file through the shared reader: the cluster section's errors
// carry the arbiter file's name and position, like every other field.
#include <gtest/gtest.h>

#include "arbiter/config.h"

namespace poolha::arbiter {
namespace {

const std::string kBase =
    "name: arb1\n"
    "tls: {ca: /etc/poolha/ca.crt, cert: /etc/poolha/arb1.crt, key: /etc/poolha/arb1.key}\n"
    "listen: 198.18.0.2:7400\n";

TEST(ArbiterConfig, ReadsAWitnessAndAMember) {
  auto w = parse_config(kBase, "arbiter.yaml");
  ASSERT_TRUE(w.ok()) << w.error();
  EXPECT_FALSE(w->cluster);
  auto m = parse_config(kBase +
                            "state_dir: /var/lib/poolha\n"
                            "cluster:\n  listen: 198.18.0.2:7403\n  members:\n"
                            "    - {id: ctl1, role: controller, address: 198.18.0.1:7403}\n"
                            "    - {id: ctl2, role: controller, address: 198.18.0.3:7403}\n"
                            "    - {id: arb1, role: arbiter, address: 198.18.0.2:7403}\n",
                        "arbiter.yaml");
  ASSERT_TRUE(m.ok()) << m.error();
  ASSERT_TRUE(m->cluster);
  EXPECT_EQ(m->cluster->voter_count(), 3u);
}

TEST(ArbiterConfig, RefusalsNameTheLine) {
  auto bad = [&](const std::string& extra) {
    auto r = parse_config(kBase + extra, "arbiter.yaml");
    return r.ok() ? std::string("ok") : r.error();
  };
  EXPECT_EQ(bad("listen: 198.18.0.2:7401\n"), "arbiter.yaml:4:1: listen: given twice");
  EXPECT_EQ(bad("state_dir: /x\n"), "arbiter.yaml:4:12: state_dir: only used with cluster");
  EXPECT_EQ(bad("state_dir: /x\ncluster:\n  listen: 198.18.0.2:7403\n  members:\n"
                "    - {id: arb1, role: witness, address: 198.18.0.2:7403}\n"),
            "arbiter.yaml:8:24: cluster.members[0].role: 'witness' is not one of arbiter, controller");
}

}  // namespace
}  // namespace poolha::arbiter
