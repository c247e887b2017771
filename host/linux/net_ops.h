// Linux network operations for floating a VIP: read interfaces and addresses,
// add and remove secondary addresses, ARP-probe an address before taking it
// (RFC 5227) and announce it afterwards (gratuitous ARP / unsolicited NA).
//
// Everything talks to the kernel directly: rtnetlink (NETLINK_ROUTE) for links
// and addresses, AF_PACKET for ARP, a raw ICMPv6 socket for neighbour
// advertisements. No libnl, no `ip`. All functions act in the network
// namespace of the calling thread.
//
// Threading: every function is blocking and self-contained (it opens and
// closes its own sockets), so it may be called from any worker thread; none
// may be called on an event loop. Every socket has a receive timeout, so no
// call blocks for ever: netlink calls are bounded by a few seconds, arp_probe
// by about probes*interval + wait, announce by about count*interval.
//
// Failures are values: a Status / Expected error names the operation, the
// address, the interface and the cause, e.g.
//   "add 198.18.1.10/24 on eth1: netlink: File exists".
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace poolha::host::linux_net {

struct InterfaceInfo {
  std::string name;
  int index = 0;
  std::string mac;  // "aa:bb:cc:dd:ee:ff"; empty when the link has no hardware address
  bool up = false;       // administratively up (IFF_UP)
  bool carrier = false;  // lower layer up (IFLA_CARRIER / IFF_LOWER_UP)
  std::vector<std::string> addresses;  // "198.18.1.5/24", "2001:db8::1/64"; v4 and v6
};

// All links with their addresses, ordered by interface index.
// (RTM_GETLINK + RTM_GETADDR dumps.)
Expected<std::vector<InterfaceInfo>> list_interfaces();

// Adds `cidr` ("a.b.c.d/n" or "x::y/n") as an address of `ifname`.
// Idempotent: an address that is already present is success.
// IPv4: IFA_LOCAL = IFA_ADDRESS = the address, plus the subnet broadcast for
// prefixes shorter than /31. IPv6: IFA_F_NODAD, so the address is usable at
// once (the ARP probe / fencing protects against duplicates, not DAD).
Status add_address(const std::string& ifname, const std::string& cidr);

// Removes `cidr` from `ifname`. Idempotent: an absent address is success.
// The prefix length must match the one the address was added with.
Status remove_address(const std::string& ifname, const std::string& cidr);

struct ProbeResult {
  bool conflict = false;
  std::string conflicting_mac;  // "aa:bb:..", set when conflict
};

// RFC 5227 ARP probe of `ip` on `ifname` over AF_PACKET: `probes` ARP requests
// (sender MAC = ours, sender IP = 0.0.0.0, target IP = ip) `interval` apart,
// then a wait of `wait` after the last one. A conflict is any ARP packet from
// another MAC whose sender IP is `ip` (a reply or a request), or an ARP probe
// for `ip` from another MAC (another host probing at the same time). Returns
// as soon as a conflict is seen. `ip` may be given bare or as a cidr.
// IPv6: returns no conflict without sending anything (DAD is out of scope).
// REQUIRES: probes >= 1, interval >= 0, wait >= 0; the link must be up.
Expected<ProbeResult> arp_probe(const std::string& ifname, const std::string& ip, int probes,
                                std::chrono::milliseconds interval,
                                std::chrono::milliseconds wait);

// Announces that this host now holds `ip` on `ifname`, `count` times
// `interval` apart (no sleep after the last).
// IPv4: gratuitous ARP request, broadcast, sender IP = target IP = ip, our MAC.
// IPv6: unsolicited neighbour advertisement (override flag, target link-layer
// address option) to ff02::1 from a raw ICMPv6 socket with hop limit 255,
// sourced from `ip` itself when it is assigned locally.
// `ip` may be given bare or as a cidr. REQUIRES: count >= 1, interval >= 0.
Status announce(const std::string& ifname, const std::string& ip, int count,
                std::chrono::milliseconds interval);

}  // namespace poolha::host::linux_net
