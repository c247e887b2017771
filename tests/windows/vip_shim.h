// THE VIP TEST SHIM (issue 12 §3): wine has no IP Helper address calls
// (CreateUnicastIpAddressEntry, DeleteUnicastIpAddressEntry, ResolveIpNetEntry2), so
// the e2e tests' Windows agent under wine adds, removes, probes and announces VIPs
// through this table instead: each call becomes one line to a helper on the same
// network namespace (tests/e2e/vip_shim_helper.py, at POOLHA_VIP_SHIM=127.0.0.1:PORT),
// which runs `ip addr` and `arping` there. Every other entry is wine's real one.
// Built only into poolha-agent-vipshim.exe and poolha-keeper-vipshim.exe, never into
// the MSI; a figure measured through it is not a Windows measurement.
#pragma once

#include "host/windows/net_api.h"

namespace poolha::test {

host::windows::NetApi vip_shim_net_api();

}  // namespace poolha::test
