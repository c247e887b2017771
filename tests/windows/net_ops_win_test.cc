// The Windows VIP operations against a fake IP Helper table (host/windows/net_api.h):
// what the agent asks Windows for (LUID, SkipAsSource, prefix, origins), how it waits
// for duplicate-address detection, how it reads a probe's answer, what it does when a
// function is missing (as under wine, whose iphlpapi lacks them).
#include <winsock2.h>
#include <windows.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "host/windows/net_api.h"
#include "host/windows/net_ops_win.h"

namespace poolha {
namespace {

using namespace host::windows;
using std::chrono::milliseconds;

// What the fake system holds and what it was asked.
struct FakeSystem {
  NET_LUID luid{};                        // of "以太网 2"
  std::vector<MIB_UNICASTIPADDRESS_ROW> rows;  // addresses added through the table
  DWORD create_result = NO_ERROR;
  std::vector<NL_DAD_STATE> dad_states;   // what successive GetUnicastIpAddressEntry calls report
  size_t dad_calls = 0;
  int deletes = 0;
  BYTE neighbour_mac[6] = {};             // ResolveIpNetEntry2's answer (all zero: no answer)
  std::vector<std::pair<std::string, std::string>> resolved;  // (target, source) per call
} g;

std::string v4_text(const SOCKADDR_INET& a) {
  const auto* b = reinterpret_cast<const uint8_t*>(&a.Ipv4.sin_addr);
  return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." + std::to_string(b[3]);
}

DWORD WINAPI fake_alias_to_luid(const WCHAR* alias, NET_LUID* out) {
  if (std::wstring(alias) != L"\u4ee5\u592a\u7f51 2") return ERROR_INVALID_PARAMETER;
  *out = g.luid;
  return NO_ERROR;
}

void WINAPI fake_init(MIB_UNICASTIPADDRESS_ROW* row) {
  std::memset(row, 0, sizeof *row);
  row->DadState = IpDadStateInvalid;
}

DWORD WINAPI fake_create(const MIB_UNICASTIPADDRESS_ROW* row) {
  if (g.create_result != NO_ERROR) return g.create_result;
  g.rows.push_back(*row);
  return NO_ERROR;
}

DWORD WINAPI fake_delete(const MIB_UNICASTIPADDRESS_ROW* row) {
  ++g.deletes;
  for (auto it = g.rows.begin(); it != g.rows.end(); ++it)
    if (it->InterfaceLuid.Value == row->InterfaceLuid.Value && v4_text(it->Address) == v4_text(row->Address)) {
      g.rows.erase(it);
      return NO_ERROR;
    }
  return ERROR_NOT_FOUND;
}

DWORD WINAPI fake_get(MIB_UNICASTIPADDRESS_ROW* row) {
  for (const auto& r : g.rows)
    if (r.InterfaceLuid.Value == row->InterfaceLuid.Value && v4_text(r.Address) == v4_text(row->Address)) {
      *row = r;
      row->DadState = g.dad_calls < g.dad_states.size() ? g.dad_states[g.dad_calls] : g.dad_states.back();
      ++g.dad_calls;
      return NO_ERROR;
    }
  return ERROR_NOT_FOUND;
}

DWORD WINAPI fake_resolve(MIB_IPNET_ROW2* row, const SOCKADDR_INET* source) {
  g.resolved.push_back({v4_text(row->Address), source ? v4_text(*source) : ""});
  bool any = false;
  for (BYTE b : g.neighbour_mac) any = any || b;
  if (!any) return ERROR_BAD_NET_NAME;
  std::memcpy(row->PhysicalAddress, g.neighbour_mac, 6);
  row->PhysicalAddressLength = 6;
  return NO_ERROR;
}

// One adapter, "以太网 2", MAC 02:00:00:00:00:01, 198.18.1.5/24, gateway 198.18.1.1.
ULONG WINAPI fake_adapters(ULONG, ULONG, PVOID, PIP_ADAPTER_ADDRESSES out, PULONG size) {
  struct Block {
    IP_ADAPTER_ADDRESSES a;
    IP_ADAPTER_UNICAST_ADDRESS u;
    IP_ADAPTER_GATEWAY_ADDRESS gw;
    sockaddr_in addr, gw_addr;
    wchar_t name[16];
  };
  if (*size < sizeof(Block)) {
    *size = sizeof(Block);
    return ERROR_BUFFER_OVERFLOW;
  }
  auto* b = reinterpret_cast<Block*>(out);
  std::memset(b, 0, sizeof *b);
  wcscpy(b->name, L"\u4ee5\u592a\u7f51 2");
  b->a.Length = sizeof b->a;
  b->a.FriendlyName = b->name;
  b->a.Luid = g.luid;
  b->a.OperStatus = IfOperStatusUp;
  b->a.PhysicalAddressLength = 6;
  b->a.PhysicalAddress[0] = 0x02;
  b->a.PhysicalAddress[5] = 0x01;
  b->addr.sin_family = AF_INET;
  b->addr.sin_addr.s_addr = htonl(0xC6120105);  // 198.18.1.5
  b->u.Address.lpSockaddr = reinterpret_cast<sockaddr*>(&b->addr);
  b->u.OnLinkPrefixLength = 24;
  b->a.FirstUnicastAddress = &b->u;
  b->gw_addr.sin_family = AF_INET;
  b->gw_addr.sin_addr.s_addr = htonl(0xC6120101);  // 198.18.1.1
  b->gw.Address.lpSockaddr = reinterpret_cast<sockaddr*>(&b->gw_addr);
  b->a.FirstGatewayAddress = &b->gw;
  return NO_ERROR;
}

NetApi fake_api() {
  NetApi api;
  api.get_adapters_addresses = fake_adapters;
  api.alias_to_luid = fake_alias_to_luid;
  api.initialize_unicast_entry = fake_init;
  api.create_unicast_entry = fake_create;
  api.delete_unicast_entry = fake_delete;
  api.get_unicast_entry = fake_get;
  api.resolve_neighbour = fake_resolve;
  api.source = "the test's fake table";
  return api;
}

class NetOpsWin : public ::testing::Test {
 protected:
  void SetUp() override {
    g = FakeSystem{};
    g.luid.Info.IfType = 6;
    g.luid.Info.NetLuidIndex = 42;
    g.dad_states = {IpDadStateTentative, IpDadStateTentative, IpDadStatePreferred};
  }
  NetApi api = fake_api();
};

TEST_F(NetOpsWin, AddAsksForTheRightRowAndWaitsForDad) {
  auto st = add_address(api, "以太网 2", "198.18.1.10/24", milliseconds(2000));
  ASSERT_TRUE(st.ok()) << st.error();
  ASSERT_EQ(g.rows.size(), 1u);
  const auto& r = g.rows[0];
  EXPECT_EQ(r.InterfaceLuid.Value, g.luid.Value) << "keyed by the LUID of the alias";
  EXPECT_EQ(v4_text(r.Address), "198.18.1.10");
  EXPECT_EQ(r.OnLinkPrefixLength, 24);
  EXPECT_TRUE(r.SkipAsSource) << "the VIP must never become the host's source address";
  EXPECT_EQ(r.PrefixOrigin, IpPrefixOriginManual);
  EXPECT_EQ(r.SuffixOrigin, IpSuffixOriginManual);
  EXPECT_EQ(g.dad_calls, 3u) << "tentative twice, then preferred";
}

TEST_F(NetOpsWin, ADuplicateFoundByWindowsIsRemovedAgain) {
  g.dad_states = {IpDadStateTentative, IpDadStateDuplicate};
  auto st = add_address(api, "以太网 2", "198.18.1.10/24", milliseconds(2000));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("duplicate address"), std::string::npos) << st.error();
  EXPECT_TRUE(g.rows.empty());
}

TEST_F(NetOpsWin, DadThatNeverEndsIsATimeout) {
  g.dad_states = {IpDadStateTentative};
  auto st = add_address(api, "以太网 2", "198.18.1.10/24", milliseconds(100));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("tentative after 100 ms"), std::string::npos) << st.error();
  EXPECT_TRUE(g.rows.empty());
}

TEST_F(NetOpsWin, AddAndRemoveAreIdempotent) {
  g.create_result = ERROR_OBJECT_ALREADY_EXISTS;
  EXPECT_TRUE(add_address(api, "以太网 2", "198.18.1.10/24").ok());
  EXPECT_TRUE(remove_address(api, "以太网 2", "198.18.1.10/24").ok()) << "absent is success";
  g.create_result = NO_ERROR;
  ASSERT_TRUE(add_address(api, "以太网 2", "198.18.1.10/24").ok());
  EXPECT_TRUE(remove_address(api, "以太网 2", "198.18.1.10/24").ok());
  EXPECT_TRUE(g.rows.empty());
}

TEST_F(NetOpsWin, UnknownInterfaceAndBadAddressAreNamed) {
  auto st = add_address(api, "Ethernet 9", "198.18.1.10/24");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("add 198.18.1.10/24 on Ethernet 9: no interface of that name"), std::string::npos) << st.error();
  EXPECT_FALSE(add_address(api, "以太网 2", "198.18.1.300/24").ok());
}

TEST_F(NetOpsWin, ProbeConflictIsAnotherMac) {
  auto quiet = arp_probe(api, "以太网 2", "198.18.1.10/24", 2);
  ASSERT_TRUE(quiet.ok()) << quiet.error();
  EXPECT_FALSE(quiet->conflict);
  EXPECT_EQ(g.resolved.size(), 2u);
  const BYTE other[6] = {0x02, 0, 0, 0, 0, 0x99};
  std::memcpy(g.neighbour_mac, other, 6);
  auto taken = arp_probe(api, "以太网 2", "198.18.1.10/24", 3);
  ASSERT_TRUE(taken.ok()) << taken.error();
  EXPECT_TRUE(taken->conflict);
  EXPECT_EQ(taken->conflicting_mac, "02:00:00:00:00:99");
  const BYTE ours[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::memcpy(g.neighbour_mac, ours, 6);
  EXPECT_FALSE(arp_probe(api, "以太网 2", "198.18.1.10/24", 1)->conflict) << "our own MAC is no conflict";
}

TEST_F(NetOpsWin, AnnounceResolvesTheGatewayFromTheVip) {
  ASSERT_TRUE(announce(api, "以太网 2", "198.18.1.10/24", 3, milliseconds(1)).ok());
  ASSERT_EQ(g.resolved.size(), 3u);
  for (const auto& [target, source] : g.resolved) {
    EXPECT_EQ(target, "198.18.1.1");
    EXPECT_EQ(source, "198.18.1.10");
  }
}

TEST_F(NetOpsWin, InterfacesCarryAliasMacAndAddresses) {
  auto ifaces = list_interfaces(api);
  ASSERT_TRUE(ifaces.ok()) << ifaces.error();
  ASSERT_EQ(ifaces->size(), 1u);
  EXPECT_EQ((*ifaces)[0].name, "以太网 2");
  EXPECT_EQ((*ifaces)[0].mac, "02:00:00:00:00:01");
  EXPECT_EQ((*ifaces)[0].addresses, std::vector<std::string>{"198.18.1.5/24"});
}

TEST(NetApiSystem, WhatThisSystemLacksIsAClearError) {
  const NetApi api = system_net_api();
  std::printf("iphlpapi here: GetAdaptersAddresses %s, ConvertInterfaceAliasToLuid %s, CreateUnicastIpAddressEntry %s, "
              "ResolveIpNetEntry2 %s\n",
              api.get_adapters_addresses ? "yes" : "no", api.alias_to_luid ? "yes" : "no",
              api.create_unicast_entry ? "yes" : "no", api.resolve_neighbour ? "yes" : "no");
  ASSERT_NE(api.get_adapters_addresses, nullptr);
  if (api.create_unicast_entry) GTEST_SKIP() << "this system has CreateUnicastIpAddressEntry (not wine)";
  auto ifaces = list_interfaces(api);
  ASSERT_TRUE(ifaces.ok() && !ifaces->empty());
  auto st = add_address(api, (*ifaces)[0].name, "198.18.250.1/32");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("CreateUnicastIpAddressEntry is not available from iphlpapi.dll"), std::string::npos)
      << st.error();
}

}  // namespace
}  // namespace poolha
