#include "host/addresses.h"

#include <set>

#include "common/net_address.h"

namespace poolha::host {

namespace {

bool is_loopback_or_link_local(const net::IpAddress& a) {
  if (!a.v6) return a.bytes[0] == 127 || (a.bytes[0] == 169 && a.bytes[1] == 254);  // 127/8, 169.254/16
  static const net::IpAddress loopback6 = *net::parse_ip("::1");
  return a == loopback6 || (a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80);  // ::1, fe80::/10
}

}  // namespace

std::string canonical_cidr(const std::string& cidr) {
  const auto c = net::parse_cidr(cidr);
  return c ? c->str() : "";
}

std::string subnet_of(const std::string& cidr) {
  const auto c = net::parse_cidr(cidr);
  return c ? c->network().str() : "";
}

std::string address_of(const std::string& cidr) {
  const auto c = net::parse_cidr(cidr);
  return c ? c->address.str() : "";
}

bool same_cidr(const std::string& a, const std::string& b) {
  const auto x = net::parse_cidr(a);
  return x && x == net::parse_cidr(b);
}

bool has_address(const std::vector<Interface>& interfaces, const std::string& ifname, const std::string& cidr) {
  for (const auto& i : interfaces) {
    if (i.name != ifname) continue;
    for (const auto& a : i.addresses)
      if (same_cidr(a, cidr)) return true;
  }
  return false;
}

std::optional<SubnetMatch> subnet_containing(const std::vector<Interface>& interfaces, const std::string& cidr,
                                             const std::string& only_ifname) {
  const auto vip = net::parse_cidr(cidr);
  if (!vip) return std::nullopt;
  for (const auto& i : interfaces) {
    if (!only_ifname.empty() && i.name != only_ifname) continue;
    for (const auto& a : i.addresses) {
      const auto own = net::parse_cidr(a);
      if (own && own->address != vip->address && own->contains(vip->address)) return SubnetMatch{i.name, a};
    }
  }
  return std::nullopt;
}

std::string interface_for_subnet(const std::vector<Interface>& interfaces, const std::string& cidr) {
  auto m = subnet_containing(interfaces, cidr);
  return m ? m->ifname : "";
}

std::vector<std::string> interfaces_with_address(const std::vector<Interface>& interfaces, const std::string& cidr) {
  std::vector<std::string> out;
  const auto want = net::parse_cidr(cidr);
  if (!want) return out;
  for (const auto& i : interfaces)
    for (const auto& a : i.addresses) {
      if (const auto p = net::parse_cidr(a); p && p->address == want->address) {
        out.push_back(i.name);
        break;
      }
    }
  return out;
}

std::optional<int> prefix_length(const std::string& cidr) {
  const auto c = net::parse_cidr(cidr);
  if (!c) return std::nullopt;
  return c->prefix;
}

bool in_subnet(const std::string& subnet, const std::string& cidr) {
  const auto n = net::parse_cidr(subnet);
  const auto x = net::parse_cidr(cidr);
  return n && x && n->contains(x->address);
}

std::vector<std::string> subnets_of(const std::vector<Interface>& interfaces) {
  std::set<std::string> out;
  for (const auto& i : interfaces) {
    for (const auto& a : i.addresses) {
      const auto p = net::parse_cidr(a);
      if (!p || is_loopback_or_link_local(p->address)) continue;
      out.insert(p->network().str());
    }
  }
  return {out.begin(), out.end()};
}

}  // namespace poolha::host
