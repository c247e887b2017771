#include "host/windows/net_ops_win.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <thread>

#include "common/net_address.h"
#include "common/windows/wide.h"

namespace poolha::host::windows {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Status missing(const NetApi& api, const char* fn) {
  return Status::Error(std::string(fn) + " is not available from " + api.source +
                       " (Windows Vista/2008 and later have it; wine does not)");
}

std::string mac_text(const BYTE* p, ULONG n) {
  std::string out;
  char buf[4];
  for (ULONG i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", p[i]);
    if (i) out += ':';
    out += buf;
  }
  return out;
}

SOCKADDR_INET to_sockaddr(const net::IpAddress& a) {
  SOCKADDR_INET s{};
  if (a.v6) {
    s.Ipv6.sin6_family = AF_INET6;
    std::copy(a.bytes.begin(), a.bytes.end(), s.Ipv6.sin6_addr.s6_addr);
  } else {
    s.Ipv4.sin_family = AF_INET;
    std::copy(a.bytes.begin(), a.bytes.begin() + 4, reinterpret_cast<uint8_t*>(&s.Ipv4.sin_addr));
  }
  return s;
}

std::string sockaddr_text(const SOCKADDR* sa) {
  net::IpAddress a;
  if (sa->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(sa);
    std::copy_n(reinterpret_cast<const uint8_t*>(&v4->sin_addr), 4, a.bytes.begin());
  } else if (sa->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(sa);
    a.v6 = true;
    std::copy_n(v6->sin6_addr.s6_addr, 16, a.bytes.begin());
  } else {
    return "";
  }
  return a.str();
}

// GetAdaptersAddresses into an owned buffer (the size can change between calls).
Expected<std::unique_ptr<char[]>> adapters(const NetApi& api, ULONG flags) {
  if (!api.get_adapters_addresses) return missing(api, "GetAdaptersAddresses");
  ULONG size = 16 * 1024;
  for (int attempt = 0; attempt < 4; ++attempt) {
    auto buf = std::make_unique<char[]>(size);
    const ULONG rc =
        api.get_adapters_addresses(AF_UNSPEC, flags, nullptr, reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buf.get()), &size);
    if (rc == NO_ERROR) return buf;
    if (rc == ERROR_NO_DATA) return std::make_unique<char[]>(sizeof(IP_ADAPTER_ADDRESSES));  // zeroed: no adapters
    if (rc != ERROR_BUFFER_OVERFLOW) return Status::Error("GetAdaptersAddresses: " + win::error_text(rc));
  }
  return Status::Error("GetAdaptersAddresses: the adapter list kept growing");
}

struct Target {
  NET_LUID luid{};
  net::Cidr cidr;
};

Expected<Target> target(const NetApi& api, const std::string& what, const std::string& ifname, const std::string& cidr) {
  const std::string where = what + " " + cidr + " on " + ifname;
  auto c = net::parse_address_or_cidr(cidr);
  if (!c) return Status::Error(where + ": not an address or address/prefix");
  if (!api.alias_to_luid) return Status::Error(where + ": " + missing(api, "ConvertInterfaceAliasToLuid").error());
  Target t;
  t.cidr = *c;
  const DWORD rc = api.alias_to_luid(win::widen(ifname).c_str(), &t.luid);
  if (rc != NO_ERROR) return Status::Error(where + ": no interface of that name: " + win::error_text(rc));
  return t;
}

MIB_UNICASTIPADDRESS_ROW unicast_row(const NetApi& api, const Target& t) {
  MIB_UNICASTIPADDRESS_ROW row{};
  if (api.initialize_unicast_entry) api.initialize_unicast_entry(&row);
  row.InterfaceLuid = t.luid;
  row.Address = to_sockaddr(t.cidr.address);
  row.OnLinkPrefixLength = static_cast<UINT8>(t.cidr.prefix);
  return row;
}

const char* dad_state_name(NL_DAD_STATE s) {
  switch (s) {
    case IpDadStateInvalid: return "invalid";
    case IpDadStateTentative: return "tentative";
    case IpDadStateDuplicate: return "duplicate";
    case IpDadStateDeprecated: return "deprecated";
    case IpDadStatePreferred: return "preferred";
  }
  return "unknown";
}

}  // namespace

Expected<std::vector<Interface>> list_interfaces(const NetApi& api) {
  auto buf = adapters(api, GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER);
  if (!buf.ok()) return buf.status();
  std::vector<Interface> out;
  for (auto* a = reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buf->get()); a && a->Length; a = a->Next) {
    Interface i;
    i.name = a->FriendlyName ? win::narrow(a->FriendlyName) : "";
    if (i.name.empty()) continue;
    if (a->PhysicalAddressLength > 0) i.mac = mac_text(a->PhysicalAddress, a->PhysicalAddressLength);
    i.up = a->OperStatus == IfOperStatusUp;
    i.carrier = i.up;
    for (auto* u = a->FirstUnicastAddress; u; u = u->Next) {
      const std::string ip = sockaddr_text(u->Address.lpSockaddr);
      if (!ip.empty()) i.addresses.push_back(ip + "/" + std::to_string(u->OnLinkPrefixLength));
    }
    out.push_back(std::move(i));
  }
  return out;
}

Status add_address(const NetApi& api, const std::string& ifname, const std::string& cidr, milliseconds dad_wait) {
  const std::string where = "add " + cidr + " on " + ifname;
  auto t = target(api, "add", ifname, cidr);
  if (!t.ok()) return t.status();
  if (!api.create_unicast_entry) return Status::Error(where + ": " + missing(api, "CreateUnicastIpAddressEntry").error());
  MIB_UNICASTIPADDRESS_ROW row = unicast_row(api, *t);
  row.SkipAsSource = TRUE;
  row.PrefixOrigin = IpPrefixOriginManual;
  row.SuffixOrigin = IpSuffixOriginManual;
  row.ValidLifetime = 0xFFFFFFFF;
  row.PreferredLifetime = 0xFFFFFFFF;
  const DWORD rc = api.create_unicast_entry(&row);
  if (rc == ERROR_OBJECT_ALREADY_EXISTS) return Status::Ok();
  if (rc != NO_ERROR) return Status::Error(where + ": CreateUnicastIpAddressEntry: " + win::error_text(rc));
  if (!api.get_unicast_entry) return Status::Ok();  // cannot watch DAD; the address is added
  // Windows' own duplicate-address detection: usable once Preferred.
  const auto deadline = Clock::now() + dad_wait;
  NL_DAD_STATE state = IpDadStateTentative;
  for (;;) {
    MIB_UNICASTIPADDRESS_ROW now = unicast_row(api, *t);
    const DWORD g = api.get_unicast_entry(&now);
    if (g != NO_ERROR) return Status::Error(where + ": the address vanished during duplicate-address detection: " + win::error_text(g));
    state = now.DadState;
    if (state == IpDadStatePreferred) return Status::Ok();
    if (state != IpDadStateTentative || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  if (api.delete_unicast_entry) {
    MIB_UNICASTIPADDRESS_ROW del = unicast_row(api, *t);
    api.delete_unicast_entry(&del);
  }
  if (state == IpDadStateDuplicate)
    return Status::Error(where + ": Windows detected a duplicate address (another host answers for it); removed again");
  return Status::Error(where + ": duplicate-address detection left the address " + dad_state_name(state) + " after " +
                       std::to_string(dad_wait.count()) + " ms; removed again");
}

Status remove_address(const NetApi& api, const std::string& ifname, const std::string& cidr) {
  const std::string where = "remove " + cidr + " from " + ifname;
  auto t = target(api, "remove", ifname, cidr);
  if (!t.ok()) return t.status();
  if (!api.delete_unicast_entry) return Status::Error(where + ": " + missing(api, "DeleteUnicastIpAddressEntry").error());
  MIB_UNICASTIPADDRESS_ROW row = unicast_row(api, *t);
  const DWORD rc = api.delete_unicast_entry(&row);
  if (rc == NO_ERROR || rc == ERROR_NOT_FOUND || rc == ERROR_FILE_NOT_FOUND) return Status::Ok();
  return Status::Error(where + ": DeleteUnicastIpAddressEntry: " + win::error_text(rc));
}

Expected<ArpProbeOutcome> arp_probe(const NetApi& api, const std::string& ifname, const std::string& cidr, int probes) {
  const std::string where = "probe " + cidr + " on " + ifname;
  auto t = target(api, "probe", ifname, cidr);
  if (!t.ok()) return t.status();
  if (t->cidr.address.v6) return ArpProbeOutcome{};  // IPv6: Windows' own DAD
  if (!api.resolve_neighbour) return Status::Error(where + ": " + missing(api, "ResolveIpNetEntry2").error());
  auto ifaces = list_interfaces(api);
  std::string own_mac;
  if (ifaces.ok())
    for (const auto& i : *ifaces)
      if (i.name == ifname) own_mac = i.mac;
  for (int n = 0; n < std::max(probes, 1); ++n) {
    MIB_IPNET_ROW2 row{};
    row.InterfaceLuid = t->luid;
    row.Address = to_sockaddr(t->cidr.address);
    const DWORD rc = api.resolve_neighbour(&row, nullptr);
    if (rc == NO_ERROR && row.PhysicalAddressLength > 0) {
      const std::string mac = mac_text(row.PhysicalAddress, row.PhysicalAddressLength);
      if (mac != own_mac) return ArpProbeOutcome{true, mac};
    } else if (rc != NO_ERROR && rc != ERROR_BAD_NET_NAME && rc != ERROR_NOT_FOUND && rc != ERROR_NETWORK_UNREACHABLE &&
               rc != ERROR_HOST_UNREACHABLE) {
      return Status::Error(where + ": ResolveIpNetEntry2: " + win::error_text(rc));
    }
  }
  return ArpProbeOutcome{};
}

Status announce(const NetApi& api, const std::string& ifname, const std::string& cidr, int count, milliseconds interval) {
  const std::string where = "announce " + cidr + " on " + ifname;
  auto t = target(api, "announce", ifname, cidr);
  if (!t.ok()) return t.status();
  if (t->cidr.address.v6) return Status::Ok();  // the stack's unsolicited NA
  if (!api.resolve_neighbour) return Status::Error(where + ": " + missing(api, "ResolveIpNetEntry2").error());
  auto buf = adapters(api, GAA_FLAG_INCLUDE_GATEWAYS | GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST |
                               GAA_FLAG_SKIP_DNS_SERVER);
  if (!buf.ok()) return Status::Error(where + ": " + buf.error());
  std::string gateway;
  for (auto* a = reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buf->get()); a && a->Length; a = a->Next) {
    if (a->Luid.Value != t->luid.Value) continue;
    for (auto* g = a->FirstGatewayAddress; g && gateway.empty(); g = g->Next)
      if (g->Address.lpSockaddr->sa_family == AF_INET) gateway = sockaddr_text(g->Address.lpSockaddr);
  }
  if (gateway.empty()) return Status::Ok();  // nothing to resolve: the stack's own announcement only
  const auto gw = net::parse_ip(gateway);
  const SOCKADDR_INET source = to_sockaddr(t->cidr.address);
  for (int n = 0; n < std::max(count, 1); ++n) {
    if (n > 0) std::this_thread::sleep_for(interval);
    MIB_IPNET_ROW2 row{};
    row.InterfaceLuid = t->luid;
    row.Address = to_sockaddr(*gw);
    const DWORD rc = api.resolve_neighbour(&row, &source);
    if (rc != NO_ERROR && rc != ERROR_BAD_NET_NAME && rc != ERROR_NOT_FOUND)
      return Status::Error(where + ": resolving gateway " + gateway + " from the VIP: " + win::error_text(rc));
  }
  return Status::Ok();
}

}  // namespace poolha::host::windows
