#include "common/net_address.h"

#ifdef _WIN32
#include <ws2tcpip.h>  // the Windows agent's build
#else
#include <arpa/inet.h>
#endif

#include <cstring>

namespace poolha::net {

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string Cidr::str() const { return address.str() + "/" + std::to_string(prefix); }

Cidr Cidr::network() const {
  Cidr n = *this;
  for (int bit = prefix; bit < address.size() * 8; ++bit)
    n.address.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  return n;
}

bool Cidr::contains(const IpAddress& a) const {
  if (a.v6 != address.v6) return false;
  const int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.bytes.data(), address.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (address.bytes[full] & mask);
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);  // inet_pton wants a terminated string
  IpAddress a;
  a.v6 = s.find(':') != std::string::npos;
  if (::inet_pton(a.v6 ? AF_INET6 : AF_INET, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  return a;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  auto a = parse_ip(text.substr(0, slash));
  if (!a) return std::nullopt;
  int prefix = 0;
  for (char c : digits) prefix = prefix * 10 + (c - '0');
  if (prefix > a->max_prefix()) return std::nullopt;
  return Cidr{*a, prefix};
}

std::optional<Cidr> parse_address_or_cidr(std::string_view text) {
  if (text.find('/') != std::string_view::npos) return parse_cidr(text);
  auto a = parse_ip(text);
  if (!a) return std::nullopt;
  return Cidr{*a, a->max_prefix()};
}

std::string Endpoint::str() const {
  const std::string p = std::to_string(port);
  return host.find(':') != std::string::npos ? "[" + host + "]:" + p : host + ":" + p;
}

namespace {

bool valid_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && !(c == '-' && label > 0)) return false;
    if (++label > 63) return false;
  }
  return s.back() != '-';
}

Expected<Endpoint> parse_endpoint_as(std::string_view text, std::string_view what, bool names) {
  const std::string quoted = std::string(what) + " '" + std::string(text) + "'";
  Endpoint ep;
  std::string_view port;
  bool bracketed = false;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return Expected<Endpoint>::Error(quoted + ": expected [address]:port");
    ep.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
    bracketed = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return Expected<Endpoint>::Error(quoted +
                                       ": expected address:port, e.g. 198.18.0.1:7400 (IPv6: [2001:db8::1]:7400)");
    ep.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  const auto ip = parse_ip(ep.host);
  if (ip ? (ip->v6 != bracketed) : (bracketed || !names || !valid_dns_name(ep.host)))
    return Expected<Endpoint>::Error(quoted + ": '" + ep.host + "' is not an IP address" +
                                     (names ? " or host name" : "") + (ip && ip->v6 ? " in brackets" : ""));
  int p = 0;
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
    p = -1;
  else
    for (char c : port) p = p * 10 + (c - '0');
  if (p < 1 || p > 65535) return Expected<Endpoint>::Error(quoted + ": port must be 1..65535");
  ep.port = static_cast<uint16_t>(p);
  return ep;
}

}  // namespace

Expected<Endpoint> parse_endpoint(std::string_view text, std::string_view what) {
  return parse_endpoint_as(text, what, false);
}

Expected<Endpoint> parse_endpoint_or_name(std::string_view text, std::string_view what) {
  return parse_endpoint_as(text, what, true);
}

}  // namespace poolha::net
