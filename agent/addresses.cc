#include "agent/addresses.h"

#include <utility>  // before Asio: Boost 1.74 + GCC 12

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <set>

namespace poolha::agent {

namespace ip = boost::asio::ip;

namespace {

struct Parsed {
  ip::address addr;
  int prefix = 0;
};

bool parse(const std::string& cidr, Parsed* out) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos || slash + 1 >= cidr.size() || cidr.size() - slash > 4) return false;
  const std::string p = cidr.substr(slash + 1);
  if (p.find_first_not_of("0123456789") != std::string::npos) return false;
  boost::system::error_code ec;
  out->addr = ip::make_address(cidr.substr(0, slash), ec);
  if (ec) return false;
  out->prefix = std::stoi(p);
  return out->prefix <= (out->addr.is_v4() ? 32 : 128);
}

std::string network_text(const Parsed& p) {
  if (p.addr.is_v4()) return ip::network_v4(p.addr.to_v4(), static_cast<unsigned short>(p.prefix)).canonical().to_string();
  return ip::network_v6(p.addr.to_v6(), static_cast<unsigned short>(p.prefix)).canonical().to_string();
}

}  // namespace

std::string canonical_cidr(const std::string& cidr) {
  Parsed p;
  if (!parse(cidr, &p)) return "";
  return p.addr.to_string() + "/" + std::to_string(p.prefix);
}

std::string subnet_of(const std::string& cidr) {
  Parsed p;
  return parse(cidr, &p) ? network_text(p) : "";
}

std::string address_of(const std::string& cidr) {
  Parsed p;
  return parse(cidr, &p) ? p.addr.to_string() : "";
}

bool same_cidr(const std::string& a, const std::string& b) {
  Parsed x, y;
  return parse(a, &x) && parse(b, &y) && x.addr == y.addr && x.prefix == y.prefix;
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
  Parsed vip;
  if (!parse(cidr, &vip)) return std::nullopt;
  for (const auto& i : interfaces) {
    if (!only_ifname.empty() && i.name != only_ifname) continue;
    for (const auto& a : i.addresses) {
      Parsed own;
      if (!parse(a, &own) || own.addr.is_v4() != vip.addr.is_v4() || own.addr == vip.addr) continue;
      Parsed vip_in_own{vip.addr, own.prefix};
      if (network_text(vip_in_own) == network_text(own)) return SubnetMatch{i.name, a};
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
  Parsed want;
  if (!parse(cidr, &want)) return out;
  for (const auto& i : interfaces)
    for (const auto& a : i.addresses) {
      Parsed p;
      if (parse(a, &p) && p.addr == want.addr) {
        out.push_back(i.name);
        break;
      }
    }
  return out;
}

std::optional<int> prefix_length(const std::string& cidr) {
  Parsed p;
  if (!parse(cidr, &p)) return std::nullopt;
  return p.prefix;
}

bool in_subnet(const std::string& subnet, const std::string& cidr) {
  Parsed net, x;
  if (!parse(subnet, &net) || !parse(cidr, &x) || net.addr.is_v4() != x.addr.is_v4()) return false;
  return network_text(Parsed{x.addr, net.prefix}) == network_text(net);
}

std::vector<std::string> subnets_of(const std::vector<Interface>& interfaces) {
  std::set<std::string> out;
  for (const auto& i : interfaces) {
    for (const auto& a : i.addresses) {
      Parsed p;
      if (!parse(a, &p) || p.addr.is_loopback()) continue;
      if (p.addr.is_v6() && p.addr.to_v6().is_link_local()) continue;
      if (p.addr.is_v4() && (p.addr.to_v4().to_uint() >> 16) == 0xA9FE) continue;  // 169.254/16
      out.insert(network_text(p));
    }
  }
  return {out.begin(), out.end()};
}

}  // namespace poolha::agent
