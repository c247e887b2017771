// The lease keeper's loop (host/lease.h), the same on Linux (poolha-lease-keeper, a
// detached process) and on Windows (the poolha-keeper service): every 50 ms it reads
// the lease; once the agent's hold has passed and the isolation response is
// "release", it removes every listed VIP and marks the list released. It returns when
// `poolha-agent stop-keeper` asked it to (nothing left to release), when `stop()` says
// so (the Windows service is being stopped), or when the file is no longer in its
// version (an upgraded agent re-made it; that agent starts a keeper of its own).
#pragma once

#include <functional>
#include <string>

#include "common/status.h"
#include "host/lease.h"

namespace poolha::host {

struct KeeperHooks {
  // Removes one VIP; idempotent (absent is success).
  std::function<Status(const std::string& ifname, const std::string& cidr)> remove_address;
  std::function<void(const std::string& line)> log;
  // Polled every loop; true ends the loop (may be empty).
  std::function<bool()> stop;
};

// Returns 0 when asked to exit.
int run_keeper_loop(LeaseRegion& r, const KeeperHooks& hooks);

}  // namespace poolha::host
