// Pure address arithmetic on the textual forms the wire uses ("198.18.1.10/24"):
// portable (no OS header), so the agent core and its tests share one spelling.
#pragma once

#include <string>
#include <vector>

#include "agent/host_ops.h"

namespace poolha::agent {

// "198.18.1.10/24" -> "198.18.1.0/24"; "2001:db8::1/64" -> "2001:db8::/64". Empty if malformed.
std::string subnet_of(const std::string& cidr);

// The address part of a cidr in canonical form ("198.18.1.10"); empty if malformed.
std::string address_of(const std::string& cidr);

// Same address and same prefix length, textual forms normalised.
bool same_cidr(const std::string& a, const std::string& b);

// True if interface `ifname` in `interfaces` carries `cidr` (same_cidr).
bool has_address(const std::vector<Interface>& interfaces, const std::string& ifname, const std::string& cidr);

// The name of the first interface with an address of the same family inside the
// subnet of `cidr` (cidr's own prefix decides); empty if none or malformed. The
// VIP itself does not count, so an interface that only carries the VIP is not chosen.
std::string interface_for_subnet(const std::vector<Interface>& interfaces, const std::string& cidr);

// The subnets of every address on every interface, sorted and without duplicates;
// loopback (127/8, ::1) and link-local (169.254/16, fe80::/10) are left out.
std::vector<std::string> subnets_of(const std::vector<Interface>& interfaces);

// The cidr if valid IPv4/IPv6 "address/prefix", else empty; canonical text.
std::string canonical_cidr(const std::string& cidr);

}  // namespace poolha::agent
