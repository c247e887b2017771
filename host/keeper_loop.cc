#include "host/keeper_loop.h"

#include <chrono>
#include <thread>

namespace poolha::host {

int run_keeper_loop(LeaseRegion& r, const KeeperHooks& hooks) {
  for (;;) {
    const int64_t now = monotonic_ms();
    r.keeper_alive_ms.store(now, std::memory_order_relaxed);
    if (hooks.stop && hooks.stop()) return 0;
    // A newer agent re-made the file in another layout: this keeper's reading of it would
    // be wrong, so it leaves the watch to the keeper that agent starts.
    if (!lease_valid(r)) {
      hooks.log("the lease is no longer in this keeper's version (the agent was upgraded): exiting");
      return 0;
    }
    const LeaseSnapshot s = read_lease(r);
    switch (keeper_decide(s, now)) {
      case KeeperAction::Wait:
        break;
      case KeeperAction::Exit:
        hooks.log("stop requested: exiting");
        return 0;
      case KeeperAction::Release: {
        hooks.log("isolation lease lapsed " + std::to_string(now - s.hold.hold_until_ms) + " ms ago" +
                  (s.consistent ? "" : " (agent stopped inside a lease write: using the raw list)") + ": removing " +
                  std::to_string(s.hold.vips.size()) + " VIP(s)");
        bool all_gone = true;
        for (const auto& v : s.hold.vips) {
          auto st = hooks.remove_address(v.ifname, v.cidr);
          hooks.log(st.ok() ? "removed " + v.cidr + " from " + v.ifname : "FAILED to remove " + v.cidr + ": " + st.error());
          all_gone = all_gone && st.ok();
        }
        // Marked only when every address is gone: the agent trusts the mark.
        if (all_gone) mark_released(r, s.generation, monotonic_ms());
        else std::this_thread::sleep_for(std::chrono::milliseconds(450));  // retry, without flooding the log
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace poolha::host
