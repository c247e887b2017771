// Windows network operations for floating a VIP (issue 12 §1 "VIPs"), through the IP
// Helper table of net_api.h:
//   * add: CreateUnicastIpAddressEntry on the interface's LUID (from its alias,
//     "以太网 2" included), SkipAsSource so the VIP never becomes the host's source
//     address, manual origins, not persistent (a reboot never keeps a VIP); then the
//     address is usable only once Windows' own duplicate-address detection ends
//     (DadState Preferred; about 3 s on 2012 R2 unless DadTransmits is 0 on the
//     interface: docs/windows.md). Duplicate: the address is removed again, error.
//   * remove: DeleteUnicastIpAddressEntry by LUID and address, so the keeper can remove
//     what the agent added; an absent address is success.
//   * probe: ResolveIpNetEntry2, which flushes the neighbour entry and sends ARP
//     requests (SendARP would answer from the cache): a reply from a MAC that is not
//     this interface's is a conflict. Up to `probes` resolutions; interval and wait
//     are the stack's own (an unanswered resolution takes about 3 s on Windows).
//   * announce: the stack announces an address it adds; in addition the gateway is
//     resolved `count` times with the VIP as the source, so the gateway (and any host
//     that already has an entry for the VIP) learns the new MAC without a packet
//     driver. Whether 2012 R2 sends its own gratuitous ARP is on the checklist in
//     docs/windows.md.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"
#include "host/host_ops.h"
#include "host/windows/net_api.h"

namespace poolha::host::windows {

// How long add_address waits for Windows' duplicate-address detection.
inline constexpr std::chrono::milliseconds kDadWait{6000};

Expected<std::vector<Interface>> list_interfaces(const NetApi& api);
Status add_address(const NetApi& api, const std::string& ifname, const std::string& cidr,
                   std::chrono::milliseconds dad_wait = kDadWait);
Status remove_address(const NetApi& api, const std::string& ifname, const std::string& cidr);
Expected<ArpProbeOutcome> arp_probe(const NetApi& api, const std::string& ifname, const std::string& cidr, int probes);
Status announce(const NetApi& api, const std::string& ifname, const std::string& cidr, int count,
                std::chrono::milliseconds interval);

}  // namespace poolha::host::windows
