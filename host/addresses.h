// Pure address arithmetic on the textual forms the wire uses ("198.18.1.10/24"):
// portable (no OS header), so the agent core and its tests share one spelling.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/host_ops.h"

namespace poolha::host {

// "198.18.1.10/24" -> "198.18.1.0/24"; "2001:db8::1/64" -> "2001:db8::/64". Empty if malformed.
std::string subnet_of(const std::string& cidr);

// The address part of a cidr in canonical form ("198.18.1.10"); empty if malformed.
std::string address_of(const std::string& cidr);

// Same address and same prefix length, textual forms normalised.
bool same_cidr(const std::string& a, const std::string& b);

// True if interface `ifname` in `interfaces` carries `cidr` (same_cidr).
bool has_address(const std::vector<Interface>& interfaces, const std::string& ifname, const std::string& cidr);

// An address of the host whose subnet (by that address's own prefix) contains the
// address of `cidr`: where a VIP can go. The VIP itself does not count, so an
// interface that only carries the VIP is not chosen. `only_ifname`: look there only.
struct SubnetMatch {
  std::string ifname;
  std::string address;  // "198.18.1.5/24"
};
std::optional<SubnetMatch> subnet_containing(const std::vector<Interface>& interfaces, const std::string& cidr,
                                             const std::string& only_ifname = "");

// The name of the first interface with a subnet that contains `cidr`'s address
// (subnet_containing); empty if none or malformed.
std::string interface_for_subnet(const std::vector<Interface>& interfaces, const std::string& cidr);

// The interfaces that carry `cidr`'s address, with any prefix.
std::vector<std::string> interfaces_with_address(const std::vector<Interface>& interfaces, const std::string& cidr);

// The prefix length of a valid cidr.
std::optional<int> prefix_length(const std::string& cidr);

// True if the address of `cidr` lies inside `subnet` (by subnet's prefix), same family.
bool in_subnet(const std::string& subnet, const std::string& cidr);

// The subnets of every address on every interface, sorted and without duplicates;
// loopback (127/8, ::1) and link-local (169.254/16, fe80::/10) are left out.
std::vector<std::string> subnets_of(const std::vector<Interface>& interfaces);

// The cidr if valid IPv4/IPv6 "address/prefix", else empty; canonical text.
std::string canonical_cidr(const std::string& cidr);

}  // namespace poolha::host
