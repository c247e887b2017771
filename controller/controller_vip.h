// The controller VIP (design §4 "controller switch, UI via cluster VIP unaffected"):
// the address through which the web UI, the API and poolhactl reach the cluster. The
// active controller holds it, with the agents' VIP machinery: ARP probe before adding,
// gratuitous ARP after, netlink to add and remove. Blocking network calls run on one
// worker thread; results come back on the event loop.
//
// A controller that crashes or freezes cannot remove it, so the VIP is also listed in
// an isolation lease (host/lease.h) watched by a poolha-lease-keeper process: the
// active controller renews the hold every timer tick; 500 ms after the last renewal
// the keeper removes the address. The next active controller's probe sees the old
// holder until then and retries.
#pragma once
#include <utility>  // before Asio (Boost 1.74 + GCC 12)
#include <boost/asio.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <optional>
#include <string>

#include "host/host_ops.h"
#include "host/lease.h"
#include "common/status.h"

namespace poolha::controller {

struct ControllerVipSpec {
  std::string cidr;       // "198.18.0.100/24"
  std::string interface;  // empty: the interface in the VIP's subnet
};

class ControllerVip {
 public:
  static constexpr int64_t kHoldMs = 500;

  // `host`: the OS seam the agent uses too (host/host_ops.h); called from a worker thread.
  ControllerVip(boost::asio::io_context& io, host::HostOps& host, ControllerVipSpec spec, std::string state_dir);
  ~ControllerVip();
  // Opens the lease, starts the keeper, and removes the address if a previous
  // process of ours left it behind.
  Status start();
  // Called every timer tick: acquire while active, release once not.
  void set_active(bool active);
  bool held() const { return state_ == State::Held; }
  // At shutdown: removes the address at once (blocking, a few ms).
  void stop();

 private:
  enum class State { Idle, Acquiring, Held, Releasing };
  void acquire();
  void release();
  void write_hold(bool listed);

  boost::asio::io_context& io_;
  host::HostOps& host_;
  ControllerVipSpec spec_;
  std::string state_dir_;
  std::string ifname_;
  boost::asio::thread_pool worker_{1};
  std::optional<host::LeaseFile> lease_;
  State state_ = State::Idle;
  bool want_ = false;
  int64_t retry_at_ms_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace poolha::controller
