// `poolhactl cluster bootstrap`'s plan: the member files it renders are accepted by the
// daemons' own cluster parser, agree with each other, and bad input is refused with a
// reason (the command writes nothing then). The command itself, with certificates and
// real daemons, runs in tests/e2e/control_plane.py (cp_bootstrap).
#include "cli/bootstrap_plan.h"

#include <yaml-cpp/yaml.h>

#include <gtest/gtest.h>

#include "member/cluster_config.h"

namespace poolha::cli {
namespace {

BootstrapInput three(std::string vip = "") {
  BootstrapInput in;
  in.members = {{"ctl-a", "controller", "198.18.0.1"}, {"ctl-b", "controller", "198.18.0.3"},
                {"arb", "arbiter", "198.18.0.2"}, {"arb2", "arbiter", "198.18.0.4"}};
  in.controller_vip = std::move(vip);
  in.etc_dir = "/srv/{name}/etc";
  return in;
}

TEST(ClusterBootstrap, EveryMemberFileParsesAndListsTheSameMembers) {
  auto files = render_bootstrap(three("198.18.0.90/24"));
  ASSERT_TRUE(files.ok()) << files.error();
  ASSERT_EQ(files->size(), 5u);  // four members + agent-members.yaml
  std::string first_members;
  for (const auto& f : *files) {
    const YAML::Node doc = YAML::Load(f.content);
    if (f.member.empty()) {
      EXPECT_EQ(f.name, "agent-members.yaml");
      ASSERT_EQ(doc["members"].size(), 4u);
      EXPECT_EQ(doc["members"][3]["address"].as<std::string>(), "198.18.0.4:7400");
      continue;
    }
    const bool ctl = f.name == "controller.yaml";
    auto cfg = member::parse_cluster_config(doc["cluster"], f.member,
                                            ctl ? consensus::MemberRole::Controller : consensus::MemberRole::Arbiter);
    ASSERT_TRUE(cfg.ok()) << f.member << ": " << cfg.error();
    EXPECT_EQ(cfg->members.size(), 4u);
    const std::string members = YAML::Dump(doc["cluster"]["members"]);
    if (first_members.empty()) first_members = members;
    EXPECT_EQ(members, first_members) << f.member << "'s member list differs";
    EXPECT_EQ(doc["name"].as<std::string>(), f.member);
    EXPECT_EQ(doc["tls"]["cert"].as<std::string>(), "/srv/" + f.member + "/etc/tls/" + f.member + ".crt");
    if (ctl) {
      EXPECT_EQ(doc["listen_api"].as<std::string>(), "0.0.0.0:7443") << "the API must answer on the VIP";
      EXPECT_EQ(doc["controller_vip"]["cidr"].as<std::string>(), "198.18.0.90/24");
    }
  }
  // The first arbiter votes; the second is the standby.
  auto cfg = member::parse_cluster_config(YAML::Load((*files)[0].content)["cluster"], "ctl-a",
                                          consensus::MemberRole::Controller);
  ASSERT_TRUE(cfg.ok());
  EXPECT_FALSE(cfg->find("arb")->standby);
  EXPECT_TRUE(cfg->find("arb2")->standby);
  EXPECT_EQ(cfg->initial().voters.size(), 3u);
}

TEST(ClusterBootstrap, WithoutAVipTheApiListensOnTheMembersAddress) {
  auto files = render_bootstrap(three());
  ASSERT_TRUE(files.ok()) << files.error();
  const YAML::Node doc = YAML::Load((*files)[1].content);
  EXPECT_EQ(doc["listen_api"].as<std::string>(), "198.18.0.3:7443");
  EXPECT_FALSE(doc["controller_vip"]);
}

TEST(ClusterBootstrap, BadInputIsRefusedWithAReason) {
  auto refused = [](BootstrapInput in, const std::string& says) {
    auto r = render_bootstrap(in);
    ASSERT_FALSE(r.ok()) << "accepted; expected: " << says;
    EXPECT_NE(r.error().find(says), std::string::npos) << r.error();
  };
  BootstrapInput in = three();
  in.members.erase(in.members.begin());
  refused(in, "exactly two controllers");
  in = three();
  in.members.resize(2);
  refused(in, "needs an arbiter");
  in = three();
  in.members[1].name = "ctl-a";
  refused(in, "named twice");
  in = three();
  in.members[2].ip = "198.18.0.1";
  refused(in, "two members");
  refused(three("198.18.0.1/24"), "a member's own address");
  refused(three("198.18.0.90"), "IPv4 cidr");
  refused(three("198.18.0.90/33"), "1..32");
  in = three();
  in.state_dir = "relative";
  refused(in, "absolute");

  EXPECT_FALSE(parse_member_option("controller", "ctl-a").ok());
  EXPECT_FALSE(parse_member_option("controller", "ctl-a=198.18.0").ok());
  EXPECT_FALSE(parse_member_option("controller", "-x=198.18.0.1").ok());
  for (const char* reserved : {"ca", "operator", "ca.key", "operator.crt", "agent-members.yaml"})
    EXPECT_FALSE(parse_member_option("arbiter", std::string(reserved) + "=198.18.0.1").ok())
        << reserved << ": a member folder would collide with DIR's own files";
  auto ok = parse_member_option("arbiter", "arb=198.18.0.2");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->name, "arb");
  EXPECT_EQ(ok->role, "arbiter");
}

}  // namespace
}  // namespace poolha::cli
