#include "agent/vip_policy.h"

#include <algorithm>

#include "agent/host.h"

namespace poolha::agent {

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string vip_interface(const std::vector<Interface>& interfaces, const std::string& requested,
                          const std::string& cidr) {
  return requested.empty() ? interface_for_subnet(interfaces, cidr) : requested;
}

std::string vip_refusal(const VipPolicy& policy, const std::vector<Interface>& interfaces, const std::string& ifname,
                        const std::string& cidr, bool ours) {
  const std::string vip = "VIP " + cidr;
  const auto prefix = prefix_length(cidr);
  if (!prefix) return vip + " is not address/prefix";
  if (!ours) {
    const auto where = interfaces_with_address(interfaces, cidr);
    if (!where.empty())
      return vip + " is already an address of this host (" + joined(where) +
             ") that poolha did not add: it is refused, because releasing it would delete the host's own address";
  }
  if (policy.subnets.empty())
    return vip + ": this host's agent.yaml lists no vip_subnets, so it holds no VIP; add the subnets it may hold VIPs "
                 "in";
  if (std::none_of(policy.subnets.begin(), policy.subnets.end(), [&](const auto& s) { return in_subnet(s, cidr); }))
    return vip + " is outside this host's vip_subnets (" + joined(policy.subnets) +
           "); add its subnet to agent.yaml if this host may hold it";
  if (ifname.empty()) return vip + " is in no subnet of this host's interfaces";
  if (!policy.interfaces.empty() && std::find(policy.interfaces.begin(), policy.interfaces.end(), ifname) == policy.interfaces.end())
    return vip + " on " + ifname + ": this host's vip_interfaces are " + joined(policy.interfaces);
  const auto home = subnet_containing(interfaces, cidr, ifname);
  if (!home) return vip + " is in no subnet of " + ifname + "; a VIP must be in a subnet the interface already has";
  if (*prefix < *prefix_length(home->address))
    return vip + " is wider than " + ifname + "'s subnet " + subnet_of(home->address) + ": use /" +
           std::to_string(*prefix_length(home->address)) + " or longer (a wider VIP would claim addresses of other hosts)";
  return "";
}

}  // namespace poolha::agent
