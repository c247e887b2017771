// IP addresses and prefixes in the text form poolha writes everywhere ("198.18.1.10/24",
// "2001:db8::1/64"): the one parser the engine, the daemons, their config readers and
// the CLI share, so an address one of them accepts the others accept too. Pure: text to
// bytes and back (inet_pton/inet_ntop), no sockets or lookups. Each caller adds its own
// policy on top (a VIP needs a prefix of at least 1, a bootstrap VIP must be IPv4).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace poolha::net {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // network order; the first 4 for IPv4
  int size() const { return v6 ? 16 : 4; }
  int max_prefix() const { return v6 ? 128 : 32; }
  std::string str() const;  // canonical text ("2001:db8::1")
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct Cidr {
  IpAddress address;
  int prefix = 0;
  std::string str() const;  // canonical "address/prefix"
  // The same prefix with the host bits cleared: "198.18.1.10/24" -> "198.18.1.0/24".
  Cidr network() const;
  // Same family, and `a` agrees with our address in the first `prefix` bits.
  bool contains(const IpAddress& a) const;
  friend bool operator==(const Cidr&, const Cidr&) = default;
};

// A bare IPv4 or IPv6 address; nullopt if malformed (no prefix, no spaces, no names).
std::optional<IpAddress> parse_ip(std::string_view text);

// "address/prefix" with the prefix required: 0-32 for IPv4, 0-128 for IPv6, decimal
// digits only (at most 3). nullopt if malformed.
std::optional<Cidr> parse_cidr(std::string_view text);

// "address" or "address/prefix"; a bare address is a host prefix (/32, /128).
std::optional<Cidr> parse_address_or_cidr(std::string_view text);

// Where to connect or listen: an IP address and a port, as a member's address, a
// listen address or an agent's member list gives it.
struct Endpoint {
  std::string host;  // as written, without brackets
  uint16_t port = 0;
  std::string str() const;  // "198.18.0.1:7400", "[2001:db8::1]:7400"
};

// "198.18.0.1:7400" or "[2001:db8::1]:7400", port 1-65535. The error says which part
// is wrong and starts with `what` ("endpoint '…'", "API address '…'").
Expected<Endpoint> parse_endpoint(std::string_view text, std::string_view what = "endpoint");

// The same, but the host may also be a DNS name: what an operator types to reach the API.
Expected<Endpoint> parse_endpoint_or_name(std::string_view text, std::string_view what = "endpoint");

}  // namespace poolha::net
