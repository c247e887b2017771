#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "agent/host.h"

namespace poolha::agent {
namespace {

std::unique_ptr<LeaseRegion> fresh() {
  auto r = std::make_unique<LeaseRegion>();
  init_lease(*r);
  return r;
}

LeaseHold hold(int64_t until, std::vector<LeaseVip> vips, IsolationResponse resp = IsolationResponse::Release) {
  LeaseHold h;
  h.hold_until_ms = until;
  h.response = resp;
  h.vips = std::move(vips);
  return h;
}

// A version-1 file (ifname[16]: agents before the Windows port), byte for byte as they
// wrote it: upgrading must not lose the list the keeper guards.
TEST(Lease, AVersionOneFileIsCarriedOver) {
  struct SlotV1 {
    char ifname[16];
    char cidr[64];
  };
  struct RegionV1 {
    uint32_t magic, version;
    uint64_t seq;
    int64_t hold_until_ms;
    uint32_t isolation_response, vip_count;
    uint64_t generation;
    SlotV1 vips[64];
    uint64_t released_generation;
    int64_t released_at_ms;
    int32_t keeper_pid;
    int64_t keeper_alive_ms;
    uint32_t stop_requested;
  } v1{};
  v1.magic = host::kLeaseMagic;
  v1.version = 1;
  v1.hold_until_ms = 123456;
  v1.vip_count = 2;
  v1.generation = 7;
  std::strcpy(v1.vips[0].ifname, "eth0");
  std::strcpy(v1.vips[0].cidr, "198.18.0.101/24");
  std::strcpy(v1.vips[1].ifname, "eth1");
  std::strcpy(v1.vips[1].cidr, "198.18.1.101/24");
  const std::string dir = ::testing::TempDir() + "lease-v1-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  {
    std::FILE* f = std::fopen((dir + "/lease").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(&v1, sizeof v1, 1, f);
    std::fclose(f);
  }
  auto lease = LeaseFile::open(dir + "/lease", true);
  ASSERT_TRUE(lease.ok()) << lease.error();
  const auto s = read_lease(lease->region());
  EXPECT_EQ(s.hold.hold_until_ms, 123456);
  ASSERT_EQ(s.hold.vips.size(), 2u);
  EXPECT_EQ(s.hold.vips[1], (LeaseVip{"eth1", "198.18.1.101/24"}));
  EXPECT_FALSE(released(s));
  std::filesystem::remove_all(dir);
}

TEST(Lease, RoundTripAndGeneration) {
  auto r = fresh();
  ASSERT_TRUE(write_lease(*r, hold(1000, {{"eth1", "198.18.1.10/24"}, {"eth2", "198.18.2.10/24"}})).ok());
  auto s = read_lease(*r);
  EXPECT_TRUE(s.consistent);
  EXPECT_EQ(s.hold.hold_until_ms, 1000);
  ASSERT_EQ(s.hold.vips.size(), 2u);
  EXPECT_EQ(s.hold.vips[1].cidr, "198.18.2.10/24");
  const uint64_t g = s.generation;
  ASSERT_TRUE(write_lease(*r, hold(2000, s.hold.vips)).ok());  // renewal: list unchanged
  EXPECT_EQ(read_lease(*r).generation, g);
  ASSERT_TRUE(write_lease(*r, hold(2000, {{"eth1", "198.18.1.10/24"}})).ok());
  EXPECT_EQ(read_lease(*r).generation, g + 1);
}

TEST(Lease, RefusesWhatDoesNotFit) {
  auto r = fresh();
  std::vector<LeaseVip> many(host::kLeaseMaxVips + 1, {"eth1", "198.18.1.10/24"});
  EXPECT_FALSE(write_lease(*r, hold(1, many)).ok());
  EXPECT_FALSE(write_lease(*r, hold(1, {{std::string(64, 'i'), "198.18.1.10/24"}})).ok());
  EXPECT_TRUE(read_lease(*r).hold.vips.empty());
}

TEST(Lease, ReaderDoesNotWaitForAStoppedWriter) {
  auto r = fresh();
  ASSERT_TRUE(write_lease(*r, hold(5, {{"eth1", "198.18.1.10/24"}})).ok());
  r->seq.fetch_add(1);  // a writer stopped half-way
  auto s = read_lease(*r, 100);
  EXPECT_FALSE(s.consistent);
  ASSERT_EQ(s.hold.vips.size(), 1u);  // still usable by the keeper
}

TEST(Lease, KeeperDecision) {
  auto r = fresh();
  ASSERT_TRUE(write_lease(*r, hold(1000, {{"eth1", "198.18.1.10/24"}})).ok());
  auto s = read_lease(*r);
  EXPECT_EQ(keeper_decide(s, 1000), KeeperAction::Wait);  // exactly at the deadline: still held
  EXPECT_EQ(keeper_decide(s, 1001), KeeperAction::Release);
  mark_released(*r, s.generation, 1001);
  s = read_lease(*r);
  EXPECT_TRUE(released(s));
  EXPECT_EQ(keeper_decide(s, 5000), KeeperAction::Wait);  // done once, not again

  ASSERT_TRUE(write_lease(*r, hold(1000, {{"eth1", "198.18.1.11/24"}})).ok());  // a new list
  EXPECT_EQ(keeper_decide(read_lease(*r), 5000), KeeperAction::Release);
  ASSERT_TRUE(write_lease(*r, hold(1000, {{"eth1", "198.18.1.11/24"}}, IsolationResponse::Keep)).ok());
  EXPECT_EQ(keeper_decide(read_lease(*r), 5000), KeeperAction::Wait);  // keep: never
  ASSERT_TRUE(write_lease(*r, hold(1000, {})).ok());
  EXPECT_EQ(keeper_decide(read_lease(*r), 5000), KeeperAction::Wait);  // nothing listed

  r->stop_requested.store(1);
  EXPECT_EQ(keeper_decide(read_lease(*r), 5000), KeeperAction::Exit);
  ASSERT_TRUE(write_lease(*r, hold(1000, {{"eth1", "198.18.1.12/24"}})).ok());
  EXPECT_EQ(keeper_decide(read_lease(*r), 5000), KeeperAction::Release);  // release before exiting
}

TEST(Lease, FileIsSharedBetweenMappings) {
  char tmpl[] = "/tmp/poolha-lease-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/lease";
  EXPECT_FALSE(LeaseFile::open(path, false).ok());  // missing
  auto a = LeaseFile::open(path, true);
  ASSERT_TRUE(a.ok()) << a.error();
  auto b = LeaseFile::open(path, false);
  ASSERT_TRUE(b.ok()) << b.error();
  ASSERT_TRUE(write_lease(a->region(), hold(monotonic_ms() + 100, {{"eth1", "198.18.1.10/24"}})).ok());
  auto s = read_lease(b->region());
  ASSERT_EQ(s.hold.vips.size(), 1u);
  EXPECT_EQ(s.hold.vips[0].ifname, "eth1");
  mark_released(b->region(), s.generation, 1);
  EXPECT_TRUE(released(read_lease(a->region())));
  std::filesystem::remove_all(tmpl);
}

TEST(Addresses, SubnetsAndInterfaceChoice) {
  EXPECT_EQ(subnet_of("198.18.1.10/24"), "198.18.1.0/24");
  EXPECT_EQ(subnet_of("2001:db8::1/64"), "2001:db8::/64");
  EXPECT_EQ(subnet_of("198.18.1.10/33"), "");
  EXPECT_TRUE(same_cidr("2001:db8:0::1/64", "2001:db8::1/64"));
  std::vector<Interface> ifs{{"lo", "", true, true, {"127.0.0.1/8"}},
                             {"eth0", "", true, true, {"198.18.0.5/24", "fe80::1/64"}},
                             {"eth1", "", true, true, {"198.18.1.5/24", "198.18.1.10/24"}}};
  EXPECT_EQ(interface_for_subnet(ifs, "198.18.1.10/24"), "eth1");
  EXPECT_EQ(interface_for_subnet(ifs, "198.18.9.10/24"), "");
  EXPECT_TRUE(has_address(ifs, "eth1", "198.18.1.10/24"));
  EXPECT_FALSE(has_address(ifs, "eth0", "198.18.1.10/24"));
  EXPECT_EQ(subnets_of(ifs), (std::vector<std::string>{"198.18.0.0/24", "198.18.1.0/24"}));
}

// One rule for where a VIP goes, for the agent's VIPs and the controller VIP alike: the
// interface with an address whose own subnet holds the VIP (the VIP's prefix does not
// widen it), the same family, never the VIP itself; has_address compares address and
// prefix with textual forms normalised.
TEST(Addresses, OneRuleForTheAgentAndTheControllerVip) {
  std::vector<Interface> ifs{{"lo", "", true, true, {"127.0.0.1/8", "::1/128"}},
                             {"eth0", "02:00:00:00:00:01", true, true, {"198.18.1.5/24"}},
                             {"eth1", "02:00:00:00:00:02", true, true, {"198.19.7.5/16", "2001:db8:1::5/64"}}};
  EXPECT_EQ(interface_for_subnet(ifs, "198.18.1.10/24"), "eth0");
  EXPECT_EQ(interface_for_subnet(ifs, "198.18.1.10/32"), "eth0");  // the host's subnet decides
  EXPECT_EQ(interface_for_subnet(ifs, "198.18.0.10/23"), "");      // a wider VIP prefix does not reach eth0
  EXPECT_EQ(interface_for_subnet(ifs, "198.18.2.10/24"), "");
  EXPECT_EQ(interface_for_subnet(ifs, "198.19.200.1/16"), "eth1");
  EXPECT_EQ(interface_for_subnet(ifs, "2001:db8:1::99/64"), "eth1");
  EXPECT_EQ(interface_for_subnet(ifs, "2001:db8:2::99/64"), "");
  EXPECT_EQ(interface_for_subnet(ifs, "198.18.1.10"), "");  // malformed
  EXPECT_EQ(interface_for_subnet({}, "198.18.1.10/24"), "");
  EXPECT_TRUE(has_address(ifs, "eth0", "198.18.1.5/24"));
  EXPECT_FALSE(has_address(ifs, "eth0", "198.18.1.5/32"));       // other prefix
  EXPECT_FALSE(has_address(ifs, "eth1", "198.18.1.5/24"));       // other interface
  EXPECT_FALSE(has_address(ifs, "eth9", "198.18.1.5/24"));       // unknown interface
  EXPECT_TRUE(has_address(ifs, "eth1", "2001:db8:1:0::5/64"));  // non-canonical text
  EXPECT_FALSE(has_address(ifs, "eth0", "garbage"));
}

}  // namespace
}  // namespace poolha::agent
