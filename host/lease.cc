#include "host/lease.h"

#include <algorithm>
#include <cstring>

namespace poolha::host {

namespace {

void copy_field(char* dst, size_t cap, const std::string& s) {
  std::memset(dst, 0, cap);
  std::memcpy(dst, s.data(), std::min(s.size(), cap - 1));
}

std::string read_field(const char* src, size_t cap) { return std::string(src, strnlen(src, cap)); }

LeaseHold raw_hold(const LeaseRegion& r, uint64_t* generation) {
  LeaseHold h;
  h.hold_until_ms = r.hold_until_ms;
  h.response = r.isolation_response == 1 ? IsolationResponse::Keep : IsolationResponse::Release;
  const uint32_t n = std::min<uint32_t>(r.vip_count, kLeaseMaxVips);
  for (uint32_t i = 0; i < n; ++i)
    h.vips.push_back({read_field(r.vips[i].ifname, sizeof r.vips[i].ifname), read_field(r.vips[i].cidr, sizeof r.vips[i].cidr)});
  *generation = r.generation;
  return h;
}

}  // namespace

void init_lease(LeaseRegion& r) {
  r.seq.store(0);
  r.hold_until_ms = 0;
  r.isolation_response = 0;
  r.vip_count = 0;
  r.generation = 1;
  std::memset(r.vips, 0, sizeof r.vips);
  r.released_generation.store(0);
  r.released_at_ms.store(0);
  r.keeper_pid.store(0);
  r.keeper_alive_ms.store(0);
  r.stop_requested.store(0);
  std::atomic_thread_fence(std::memory_order_release);
  r.version = kLeaseVersion;
  r.magic = kLeaseMagic;
}

bool lease_valid(const LeaseRegion& r) { return r.magic == kLeaseMagic && r.version == kLeaseVersion; }

namespace {

// The version-1 layout, only to read an old file once.
struct LeaseVipSlotV1 {
  char ifname[16];
  char cidr[64];
};
struct LeaseRegionV1 {
  uint32_t magic;
  uint32_t version;
  uint64_t seq;
  int64_t hold_until_ms;
  uint32_t isolation_response;
  uint32_t vip_count;
  uint64_t generation;
  LeaseVipSlotV1 vips[kLeaseMaxVips];
  uint64_t released_generation;
  int64_t released_at_ms;
  int32_t keeper_pid;
  int64_t keeper_alive_ms;
  uint32_t stop_requested;
};

}  // namespace

std::optional<LeaseV1Contents> read_v1_lease(const std::string& old) {
  LeaseRegionV1 v1{};
  if (old.size() != sizeof v1) return std::nullopt;
  std::memcpy(&v1, old.data(), sizeof v1);
  if (v1.magic != kLeaseMagic || v1.version != 1) return std::nullopt;
  LeaseV1Contents out;
  out.hold.hold_until_ms = v1.hold_until_ms;
  out.hold.response = v1.isolation_response == 1 ? IsolationResponse::Keep : IsolationResponse::Release;
  for (uint32_t i = 0; i < std::min<uint32_t>(v1.vip_count, kLeaseMaxVips); ++i)
    out.hold.vips.push_back({read_field(v1.vips[i].ifname, sizeof v1.vips[i].ifname),
                             read_field(v1.vips[i].cidr, sizeof v1.vips[i].cidr)});
  out.released = !out.hold.vips.empty() && v1.released_generation == v1.generation;
  return out;
}

Status write_lease(LeaseRegion& r, const LeaseHold& hold) {
  if (hold.vips.size() > kLeaseMaxVips)
    return Status::Error("lease: " + std::to_string(hold.vips.size()) + " VIPs, at most " + std::to_string(kLeaseMaxVips));
  for (const auto& v : hold.vips)
    if (v.ifname.size() >= sizeof(LeaseVipSlot::ifname) || v.cidr.size() >= sizeof(LeaseVipSlot::cidr))
      return Status::Error("lease: VIP " + v.cidr + " on " + v.ifname + ": name too long");
  uint64_t old_generation = 0;
  const LeaseHold old = raw_hold(r, &old_generation);
  const bool list_changed = old.vips != hold.vips;

  const uint64_t s = r.seq.load(std::memory_order_relaxed);
  r.seq.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  r.hold_until_ms = hold.hold_until_ms;
  r.isolation_response = hold.response == IsolationResponse::Keep ? 1 : 0;
  if (list_changed) {
    for (size_t i = 0; i < hold.vips.size(); ++i) {
      copy_field(r.vips[i].ifname, sizeof r.vips[i].ifname, hold.vips[i].ifname);
      copy_field(r.vips[i].cidr, sizeof r.vips[i].cidr, hold.vips[i].cidr);
    }
    r.vip_count = static_cast<uint32_t>(hold.vips.size());
    r.generation = old_generation + 1;
  }
  r.seq.store(s + 2, std::memory_order_release);
  return Status::Ok();
}

LeaseSnapshot read_lease(const LeaseRegion& r, int max_spins) {
  LeaseSnapshot snap;
  for (int i = 0;; ++i) {
    const uint64_t s1 = r.seq.load(std::memory_order_acquire);
    if ((s1 & 1) == 0) {
      snap.hold = raw_hold(r, &snap.generation);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (r.seq.load(std::memory_order_relaxed) == s1) break;
    }
    if (i >= max_spins) {
      snap.hold = raw_hold(r, &snap.generation);
      snap.consistent = false;
      break;
    }
  }
  snap.released_generation = r.released_generation.load(std::memory_order_acquire);
  snap.released_at_ms = r.released_at_ms.load(std::memory_order_acquire);
  snap.stop_requested = r.stop_requested.load(std::memory_order_acquire) != 0;
  return snap;
}

KeeperAction keeper_decide(const LeaseSnapshot& s, int64_t now_ms) {
  const bool lapsed = now_ms > s.hold.hold_until_ms;
  const bool pending = !s.hold.vips.empty() && s.released_generation != s.generation;
  if (lapsed && pending && s.hold.response == IsolationResponse::Release) return KeeperAction::Release;
  if (s.stop_requested) return KeeperAction::Exit;
  return KeeperAction::Wait;
}

void mark_released(LeaseRegion& r, uint64_t generation, int64_t now_ms) {
  r.released_at_ms.store(now_ms, std::memory_order_relaxed);
  r.released_generation.store(generation, std::memory_order_release);
}

bool released(const LeaseSnapshot& s) { return !s.hold.vips.empty() && s.released_generation == s.generation; }

}  // namespace poolha::host
