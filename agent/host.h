// What the agent core uses from host/, named as the agent's own: the OS seam
// (host_ops.h), pure address arithmetic on the interface list (addresses.h) and the
// isolation lease shared with poolha-lease-keeper (lease.h). The definitions live in
// host/, below the agent and the controller VIP, where the Windows agent adds its own
// implementation of the seam.
#pragma once

#include "host/addresses.h"
#include "host/host_ops.h"
#include "host/lease.h"

namespace poolha::agent {

using host::ArpProbeOutcome;
using host::CheckPolicy;
using host::CheckRequest;
using host::CheckResult;
using host::HostOps;
using host::Interface;
using host::Millis;
using host::ScriptRun;

using host::address_of;
using host::canonical_cidr;
using host::has_address;
using host::in_subnet;
using host::interface_for_subnet;
using host::interfaces_with_address;
using host::prefix_length;
using host::same_cidr;
using host::subnet_containing;
using host::subnet_of;
using host::subnets_of;
using host::SubnetMatch;

using host::init_lease;
using host::IsolationResponse;
using host::keeper_decide;
using host::KeeperAction;
using host::lease_valid;
using host::LeaseFile;
using host::LeaseHold;
using host::LeaseRegion;
using host::LeaseSnapshot;
using host::LeaseVip;
using host::mark_released;
using host::monotonic_ms;
using host::read_lease;
using host::released;
using host::write_lease;

}  // namespace poolha::agent
