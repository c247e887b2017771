// Which VIPs this host may hold (issue 9 §2: a rule must not be able to hurt its host).
// A controller, an operator's typo or a stolen operator key names the VIP; the host
// decides whether it takes it:
//   - only inside the subnets agent.yaml lists (vip_subnets; none listed: no VIP),
//     and only on the interfaces it lists (vip_interfaces; none listed: any);
//   - only inside a subnet the interface already has, with a prefix no shorter than
//     that subnet's (x.x.x.x/1 is not a VIP, it is half of IPv4);
//   - never an address the host already has that poolha did not add (its management
//     address would otherwise be "acquired" without a probe and deleted on release).
// Release removes only what the lease lists, i.e. what poolha added.
//
// Pure: interfaces in, a reason out. Portable (Linux and Windows agents).
#pragma once
#include <string>
#include <vector>

#include "agent/host.h"

namespace poolha::agent {

struct VipPolicy {
  std::vector<std::string> subnets;     // network CIDRs ("198.18.1.0/24")
  std::vector<std::string> interfaces;  // names; empty: any interface
};

// The interface a VIP goes on: `requested` (the rule's) if set, else the interface
// whose subnet contains it; empty if there is none.
std::string vip_interface(const std::vector<Interface>& interfaces, const std::string& requested,
                          const std::string& cidr);

// Why this host refuses to hold `cidr` on `ifname` (empty: no interface has its
// subnet), in words an operator can act on; empty if it may. `ours`: the lease lists
// this VIP (poolha added it: a repeated acquire, or the agent restarted holding it).
std::string vip_refusal(const VipPolicy& policy, const std::vector<Interface>& interfaces, const std::string& ifname,
                        const std::string& cidr, bool ours);

}  // namespace poolha::agent
