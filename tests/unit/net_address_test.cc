// The one address parser (common/net_address.h) and the one name rule (common/ids.h):
// what every daemon, the engine and the CLI accept.
#include "common/net_address.h"

#include <gtest/gtest.h>

#include "common/ids.h"

namespace poolha::net {
namespace {

TEST(ParseCidr, AcceptsV4AndV6InCanonicalForm) {
  auto c = parse_cidr("198.18.1.10/24");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->address.str(), "198.18.1.10");
  EXPECT_EQ(c->prefix, 24);
  EXPECT_FALSE(c->address.v6);
  c = parse_cidr("2001:db8:0:0::1/64");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->str(), "2001:db8::1/64");
  EXPECT_TRUE(c->address.v6);
  for (const char* good : {"0.0.0.0/0", "198.18.1.1/32", "::/128", "::/0"}) EXPECT_TRUE(parse_cidr(good)) << good;
}

TEST(ParseCidr, RejectsMalformed) {
  for (const char* bad : {"",
                          "/",
                          "198.18.1.10",
                          "198.18.1.10/",
                          "/24",
                          "198.18.1.10/33",
                          "198.18.1.10/-1",
                          "198.18.1.10/2a",
                          "198.18.1/24",
                          "198.18.1.256/24",
                          "198.18.1.10/24/1",
                          " 198.18.1.10/24",
                          "198.18.1.10 /24",
                          "2001:db8::1/129",
                          "2001:db8:::1/64",
                          "2001:db8::g/64",
                          "eth0/24",
                          "198.18.1.10/0024",
                          "198.18.1.10/+4",
                          "fe80::1%eth0/64",
                          "localhost/8",
                          "198.18.1.10/24\n"})
    EXPECT_FALSE(parse_cidr(bad)) << "input: \"" << bad << "\"";
}

TEST(ParseCidr, BareAddressIsAHostPrefixWhereAllowed) {
  EXPECT_FALSE(parse_cidr("198.18.1.10"));
  auto c = parse_address_or_cidr("198.18.1.10");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->str(), "198.18.1.10/32");
  c = parse_address_or_cidr("2001:db8::1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->prefix, 128);
  EXPECT_EQ(parse_address_or_cidr("198.18.1.10/24")->prefix, 24);
  EXPECT_FALSE(parse_address_or_cidr("198.18.1.10/33"));
}

TEST(Cidr, NetworkAndContains) {
  EXPECT_EQ(parse_cidr("198.18.1.10/24")->network().str(), "198.18.1.0/24");
  EXPECT_EQ(parse_cidr("198.18.1.10/0")->network().str(), "0.0.0.0/0");
  EXPECT_EQ(parse_cidr("198.18.1.10/21")->network().str(), "198.18.0.0/21");
  EXPECT_EQ(parse_cidr("2001:db8::1/64")->network().str(), "2001:db8::/64");
  const Cidr net = *parse_cidr("198.18.0.0/21");
  EXPECT_TRUE(net.contains(*parse_ip("198.18.7.255")));
  EXPECT_FALSE(net.contains(*parse_ip("198.18.8.0")));
  EXPECT_FALSE(net.contains(*parse_ip("::ffff:198.18.1.1")));  // another family
  EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(*parse_ip("203.0.113.1")));
  EXPECT_TRUE(parse_cidr("2001:db8::/32")->contains(*parse_ip("2001:db8:ffff::1")));
}

TEST(ParseEndpoint, AddressesOnlyAndBracketedIPv6) {
  auto a = parse_endpoint("198.18.0.1:7400");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "198.18.0.1");
  EXPECT_EQ(a->port, 7400);
  auto b = parse_endpoint("[2001:db8::1]:7400");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "2001:db8::1");
  EXPECT_EQ(b->str(), "[2001:db8::1]:7400");
  for (const char* bad : {"198.18.0.1", "::1:7400", "[198.18.0.1]:7400", "gw.example:7400", ":7400", "198.18.0.1:0",
                          "198.18.0.1:65536", "198.18.0.1:+80", "198.18.0.1:80 ", "[::1]7400", "[::1:7400", ""})
    EXPECT_FALSE(parse_endpoint(bad).ok()) << bad;
  EXPECT_EQ(parse_endpoint("198.18.0.1:0", "members[0].address").error(),
            "members[0].address '198.18.0.1:0': port must be 1..65535");
}

TEST(ParseEndpoint, OperatorsMayNameTheApiByHostName) {
  auto a = parse_endpoint_or_name("ctl-a.example:7443", "API address");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "ctl-a.example");
  EXPECT_EQ(a->port, 7443);
  EXPECT_TRUE(parse_endpoint_or_name("[::1]:7443").ok());
  for (const char* bad : {"h:0", ":7443", "-h:7443", "h-:7443", "a..b:7443", "a b:7443", "[name]:7443", "::1:7443"})
    EXPECT_FALSE(parse_endpoint_or_name(bad).ok()) << bad;
}

}  // namespace
}  // namespace poolha::net

namespace poolha {
namespace {

TEST(Ids, OneRuleForEveryName) {
  const std::string longest(63, 'x'), too_long(64, 'x');
  for (const std::string& good : {std::string("h1"), std::string("ctl-a"), std::string("gw.sh-01"), std::string("A_b"),
                                  std::string("9"), longest})
    EXPECT_TRUE(valid_id(good)) << good;
  for (const std::string& bad : {std::string(), too_long, std::string("_gw"), std::string(".hidden"), std::string("-x"),
                                 std::string("a b"), std::string("a/b"), std::string("网关"), std::string("a\nb")})
    EXPECT_FALSE(valid_id(bad)) << bad;
}

}  // namespace
}  // namespace poolha
