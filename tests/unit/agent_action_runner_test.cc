// The action runner over an in-memory host (tests/support/fake_host_ops.h): a rule must
// not be able to hurt its host (issue 9 §2), and what leaves the agent is valid UTF-8
// whatever a script printed (issue 9 §1). The netlink side (no connected route, real
// addresses) is net_ops_test's.
#include "agent/action_runner.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "common/utf8.h"
#include "tests/support/fake_host_ops.h"

namespace poolha::agent {
namespace {

namespace fs = std::filesystem;
using testing::FakeHostOps;

class ActionRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("poolha-runner-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cfg_.node_id = "h1";
    cfg_.arp.announce_count = 1;
    cfg_.vip_policy.subnets = {"198.18.1.0/24"};
    auto file = LeaseFile::open((dir_ / "lease").string(), true);
    ASSERT_TRUE(file.ok()) << file.error();
    lease_ = std::make_unique<IsolationLease>(std::move(*file), IsolationResponse::Release);
    ASSERT_TRUE(lease_->renew(60'000));
    runner_ = std::make_unique<ActionRunner>(cfg_, host_, *lease_, [](std::function<void()> f) { f(); });
  }
  void TearDown() override {
    runner_.reset();
    lease_.reset();
    fs::remove_all(dir_);
  }
  wire::Command command(wire::Command::Kind kind, std::vector<std::string> cidrs, const std::string& ifname = "") {
    wire::Command c;
    c.set_action_id(++id_);
    c.set_term(1);
    c.set_epoch(id_);
    c.set_rule("r1");
    c.set_kind(kind);
    for (const auto& cidr : cidrs) {
      auto* v = c.add_vips();
      v->set_cidr(cidr);
      v->set_interface(ifname);
    }
    return c;
  }
  wire::CommandResult acquire(std::vector<std::string> cidrs, const std::string& ifname = "") {
    return runner_->acquire(command(wire::Command::ACQUIRE, std::move(cidrs), ifname));
  }
  wire::CommandResult release(std::vector<std::string> cidrs) {
    return runner_->release(command(wire::Command::RELEASE, std::move(cidrs)));
  }
  bool touched(const std::string& cidr) const {
    for (const auto& c : host_.calls())
      if (c.find(cidr) != std::string::npos && c.rfind("announce", 0) != 0) return true;
    return false;
  }

  fs::path dir_;
  AgentConfig cfg_;
  FakeHostOps host_{{{"lo", "", true, true, {"127.0.0.1/8"}},
                     {"eth0", "02:00:00:00:00:01", true, true, {"198.18.1.5/24"}},
                     {"eth1", "02:00:00:00:00:02", true, true, {"198.18.2.5/24"}}}};
  std::unique_ptr<IsolationLease> lease_;
  std::unique_ptr<ActionRunner> runner_;
  uint64_t id_ = 0;
};

TEST_F(ActionRunnerTest, AcquiresAndReleasesAnAllowedVip) {
  auto r = acquire({"198.18.1.10/24"});
  EXPECT_EQ(r.outcome(), wire::CommandResult::OK) << r.detail();
  EXPECT_TRUE(host_.has("eth0", "198.18.1.10/24"));
  EXPECT_EQ(lease_->confirmed_cidrs(), std::vector<std::string>{"198.18.1.10/24"});
  // Repeated (a new controller re-sends it): ours, present, no second probe.
  auto probes = [&] {
    const auto calls = host_.calls();
    return std::count_if(calls.begin(), calls.end(), [](const std::string& c) { return c.rfind("probe", 0) == 0; });
  };
  const auto probes_before = probes();
  EXPECT_EQ(acquire({"198.18.1.10/24"}).outcome(), wire::CommandResult::OK);
  EXPECT_EQ(probes(), probes_before);
  r = release({"198.18.1.10/24"});
  EXPECT_EQ(r.outcome(), wire::CommandResult::OK) << r.detail();
  EXPECT_TRUE(r.vips_removed());
  EXPECT_FALSE(host_.has("eth0", "198.18.1.10/24"));
}

// The audit's attack: a rule whose VIP is the host's management address. Before the
// fix it was "acquired" without a probe (already present) and deleted on release.
TEST_F(ActionRunnerTest, TheHostsOwnAddressIsRefusedAndNeverRemoved) {
  auto r = acquire({"198.18.1.5/24"});
  EXPECT_EQ(r.outcome(), wire::CommandResult::REFUSED);
  EXPECT_NE(r.detail().find("already an address of this host"), std::string::npos) << r.detail();
  EXPECT_TRUE(lease_->held().empty());
  r = release({"198.18.1.5/24"});
  EXPECT_NE(r.outcome(), wire::CommandResult::OK);
  EXPECT_FALSE(r.vips_removed());
  EXPECT_NE(r.detail().find("poolha did not add it"), std::string::npos) << r.detail();
  EXPECT_TRUE(host_.has("eth0", "198.18.1.5/24")) << "the management address must survive a release";
  EXPECT_FALSE(touched("198.18.1.5/24"));
}

TEST_F(ActionRunnerTest, AVipWiderThanTheInterfaceSubnetIsRefused) {
  for (const char* wide : {"198.18.1.10/1", "198.18.1.10/16"}) {
    auto r = acquire({wide});
    EXPECT_EQ(r.outcome(), wire::CommandResult::REFUSED) << wide;
    EXPECT_NE(r.detail().find("wider than eth0's subnet 198.18.1.0/24"), std::string::npos) << r.detail();
    EXPECT_FALSE(touched(wide));
  }
  EXPECT_EQ(acquire({"198.18.1.11/32"}).outcome(), wire::CommandResult::OK) << "narrower is fine";
}

TEST_F(ActionRunnerTest, OnlyConfiguredSubnetsAndInterfaces) {
  auto r = acquire({"198.18.2.10/24"});  // eth1 has the subnet, agent.yaml does not allow it
  EXPECT_EQ(r.outcome(), wire::CommandResult::REFUSED);
  EXPECT_NE(r.detail().find("outside this host's vip_subnets (198.18.1.0/24)"), std::string::npos) << r.detail();

  cfg_.vip_policy.subnets = {"198.18.1.0/24", "198.18.2.0/24"};
  cfg_.vip_policy.interfaces = {"eth0"};
  r = acquire({"198.18.2.10/24"});
  EXPECT_EQ(r.outcome(), wire::CommandResult::REFUSED);
  EXPECT_NE(r.detail().find("vip_interfaces are eth0"), std::string::npos) << r.detail();
  r = acquire({"198.18.1.10/24"}, "eth1");  // the rule names an interface outside the subnet
  EXPECT_EQ(r.outcome(), wire::CommandResult::REFUSED);

  cfg_.vip_policy = {};
  r = acquire({"198.18.1.10/24"});
  EXPECT_EQ(r.outcome(), wire::CommandResult::REFUSED);
  EXPECT_NE(r.detail().find("lists no vip_subnets"), std::string::npos) << r.detail();
  EXPECT_FALSE(touched("198.18.1.10/24"));
}

TEST_F(ActionRunnerTest, ARefusedVipUndoesTheCommandsOthers) {
  auto r = acquire({"198.18.1.10/24", "198.18.1.5/24"});
  EXPECT_EQ(r.outcome(), wire::CommandResult::REFUSED);
  EXPECT_FALSE(host_.has("eth0", "198.18.1.10/24")) << "the first VIP of a refused command is removed again";
  EXPECT_TRUE(host_.has("eth0", "198.18.1.5/24"));
  EXPECT_TRUE(lease_->held().empty());
}

// Issue 9 §1: whatever a script prints leaves the agent as valid UTF-8 (a result the
// members' Protobuf parsers refuse would cost the node its sessions).
TEST_F(ActionRunnerTest, ScriptOutputIsValidUtf8AndGbkIsDecoded) {
  cfg_.script_output_encoding = text::Encoding::Gbk;
  ScriptRun run;
  run.exit_code = 0;
  run.output = "\xC6\xF4\xB6\xAF\xCD\xEA\xB3\xC9 ok\n\xFF\xFE";  // "启动完成 ok" in GBK, then junk
  host_.set_script("acq", run);
  auto c = command(wire::Command::ACQUIRE, {"198.18.1.10/24"});
  c.set_script("acq");
  auto r = runner_->acquire(c);
  EXPECT_EQ(r.outcome(), wire::CommandResult::OK) << r.detail();
  EXPECT_TRUE(text::is_valid_utf8(r.script_output()));
  EXPECT_EQ(r.script_output().substr(0, 16), "\xE5\x90\xAF\xE5\x8A\xA8\xE5\xAE\x8C\xE6\x88\x90 ok\n");

  cfg_.script_output_encoding = text::Encoding::Utf8;
  run.output.clear();
  for (int i = 0; i < 30000; ++i) run.output += "\xE5\x90\xAF";  // 90,000 bytes of 启
  run.output += "\x80\xC3";                                      // binary tail
  host_.set_script("rel", run);
  c = command(wire::Command::RELEASE, {"198.18.1.10/24"});
  c.set_script("rel");
  r = runner_->release(c);
  EXPECT_TRUE(text::is_valid_utf8(r.script_output()));
  EXPECT_LE(r.script_output().size(), kMaxScriptOutputBytes);
  wire::Envelope e;
  *e.mutable_result() = r;
  wire::Envelope back;
  EXPECT_TRUE(back.ParseFromString(e.SerializeAsString())) << "a member must be able to parse the result";
}

}  // namespace
}  // namespace poolha::agent
