// The agent's side of the lease (host/lease.h): which VIPs it holds, and until
// when. Thread-safe (one mutex): the event loop renews the hold, worker threads
// list and unlist VIPs around their netlink calls.
//
// Order that keeps the keeper able to clean up: list() BEFORE adding an address,
// unlist() only AFTER removing it.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/host.h"

namespace poolha::agent {

struct HeldVip {
  std::string rule;
  std::string ifname;
  std::string cidr;
  bool confirmed = false;  // the acquire completed; reported in heartbeats
};

class IsolationLease {
 public:
  IsolationLease(LeaseFile file, IsolationResponse response);

  // The hold is still current on the monotonic clock.
  bool hold_current() const;
  int64_t hold_until_ms() const;
  // Extends the hold to earned_at + timeout, where earned_at (CLOCK_MONOTONIC ms,
  // default now) is when the evidence that entitles us to hold arrived: the last
  // frame from a member, or the moment a ping of the isolation address was sent.
  // Never counted from a later moment: the controller's isolation deadline is
  // computed from when the members last heard us. Never shortens. Returns false (and writes nothing) if the
  // hold had already lapsed: the caller must first deal with the lapse
  // (take_lapsed()), because the keeper may have removed the VIPs meanwhile.
  // With isolation_response=keep nothing is ever removed, so it always renews.
  bool renew(int64_t timeout_ms, int64_t earned_at_ms = -1);
  // After a lapse: every VIP listed so far, now unlisted (the keeper removed them
  // or will; the caller removes any still present), and a fresh hold of timeout_ms.
  std::vector<HeldVip> take_lapsed(int64_t timeout_ms);
  // The keeper marked our current list released (e.g. while we were stopped):
  // the VIPs it removed, now unlisted. Empty if it did not.
  std::vector<HeldVip> take_released_by_keeper();

  Status list(const HeldVip& v);
  void confirm(const std::string& ifname, const std::string& cidr);
  void unlist(const std::string& ifname, const std::string& cidr);
  std::vector<HeldVip> held() const;
  std::vector<std::string> confirmed_cidrs() const;

  // Start-up: the list as the previous agent process left it (and whether the
  // keeper released it), to be reconciled with the interfaces.
  LeaseSnapshot snapshot() const;
  // Start-up: replace the list with what is really present (all confirmed).
  Status reset(std::vector<HeldVip> present);

 private:
  Status write_locked();
  LeaseFile file_;
  IsolationResponse response_;
  mutable std::mutex mu_;
  int64_t hold_until_ms_ = 0;
  std::vector<HeldVip> vips_;
};

}  // namespace poolha::agent
