#include "agent/isolation_lease.h"

#include <algorithm>

#include "agent/host.h"

namespace poolha::agent {

IsolationLease::IsolationLease(LeaseFile file, IsolationResponse response)
    : file_(std::move(file)), response_(response) {
  hold_until_ms_ = read_lease(file_.region()).hold.hold_until_ms;
}

bool IsolationLease::hold_current() const {
  std::lock_guard lock(mu_);
  return monotonic_ms() <= hold_until_ms_;
}

int64_t IsolationLease::hold_until_ms() const {
  std::lock_guard lock(mu_);
  return hold_until_ms_;
}

bool IsolationLease::renew(int64_t timeout_ms, int64_t earned_at_ms) {
  std::lock_guard lock(mu_);
  const int64_t now = monotonic_ms();
  if (now > hold_until_ms_ && !vips_.empty() && response_ == IsolationResponse::Release) return false;
  const int64_t base = earned_at_ms < 0 ? now : std::min(earned_at_ms, now);
  if (base + timeout_ms <= hold_until_ms_) return true;
  hold_until_ms_ = base + timeout_ms;
  (void)write_locked();
  return true;
}

std::vector<HeldVip> IsolationLease::take_lapsed(int64_t timeout_ms) {
  std::lock_guard lock(mu_);
  std::vector<HeldVip> out;
  out.swap(vips_);
  hold_until_ms_ = monotonic_ms() + timeout_ms;
  (void)write_locked();
  return out;
}

std::vector<HeldVip> IsolationLease::take_released_by_keeper() {
  std::lock_guard lock(mu_);
  if (vips_.empty() || !released(read_lease(file_.region()))) return {};
  std::vector<HeldVip> out;
  out.swap(vips_);
  (void)write_locked();
  return out;
}

Status IsolationLease::list(const HeldVip& v) {
  std::lock_guard lock(mu_);
  for (const auto& h : vips_)
    if (h.ifname == v.ifname && same_cidr(h.cidr, v.cidr)) return Status::Ok();
  vips_.push_back(v);
  auto st = write_locked();
  if (!st.ok()) vips_.pop_back();
  return st;
}

void IsolationLease::confirm(const std::string& ifname, const std::string& cidr) {
  std::lock_guard lock(mu_);
  for (auto& h : vips_)
    if (h.ifname == ifname && same_cidr(h.cidr, cidr)) h.confirmed = true;
}

void IsolationLease::unlist(const std::string& ifname, const std::string& cidr) {
  std::lock_guard lock(mu_);
  auto it = std::remove_if(vips_.begin(), vips_.end(),
                           [&](const HeldVip& h) { return h.ifname == ifname && same_cidr(h.cidr, cidr); });
  if (it == vips_.end()) return;
  vips_.erase(it, vips_.end());
  (void)write_locked();
}

std::vector<HeldVip> IsolationLease::held() const {
  std::lock_guard lock(mu_);
  return vips_;
}

std::vector<std::string> IsolationLease::confirmed_cidrs() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& h : vips_)
    if (h.confirmed) out.push_back(h.cidr);
  return out;
}

LeaseSnapshot IsolationLease::snapshot() const {
  std::lock_guard lock(mu_);
  return read_lease(file_.region());
}

Status IsolationLease::reset(std::vector<HeldVip> present) {
  std::lock_guard lock(mu_);
  vips_ = std::move(present);
  return write_locked();
}

Status IsolationLease::write_locked() {
  LeaseHold h;
  h.hold_until_ms = hold_until_ms_;
  h.response = response_;
  for (const auto& v : vips_) h.vips.push_back({v.ifname, v.cidr});
  return write_lease(file_.region(), h);
}

}  // namespace poolha::agent
