// The isolation lease (design §3.3 "isolation self-release"), shared by the agent
// and poolha-lease-keeper through one small file, state_dir/lease, that both map
// with MAP_SHARED.
//
// Contract:
//   * The agent is the only writer of the hold, the response and the VIP list
//     (under a seqlock: `seq` is odd while a write is in progress, and the VIP
//     list's `generation` grows with every change). It lists a VIP BEFORE adding
//     the address and unlists it only AFTER the address is gone, so the list is
//     always a superset of what the agent may hold.
//   * hold_until_ms is monotonic_ms(): CLOCK_MONOTONIC on Linux, GetTickCount64 on
//     Windows (the same clock in every process of the host, and it keeps running
//     while a process is stopped).
//   * The keeper is the only writer of released_generation / released_at_ms /
//     keeper_pid / keeper_alive_ms; `poolha-agent stop-keeper` is the only
//     writer of stop_requested. These are single atomics, so no writer ever waits
//     for another process — a SIGSTOPped agent cannot block the keeper.
//   * When the hold has passed and the response is release, the keeper removes
//     every listed VIP and sets released_generation to the list's generation.
//     The agent treats a list whose generation has been released as gone.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace poolha::host {

// What the lease keeper does with this host's VIPs once the hold has lapsed (agent.yaml
// isolation_response).
enum class IsolationResponse { Release, Keep };

inline constexpr uint32_t kLeaseMagic = 0x4c485050;  // "PPHL"
// Version 2 widened ifname for Windows interface aliases ("vEthernet (Internal)",
// "以太网 2"); a version-1 file is re-initialised (the agent then rebuilds its list).
inline constexpr uint32_t kLeaseVersion = 2;
inline constexpr size_t kLeaseMaxVips = 64;

struct LeaseVipSlot {
  char ifname[64];  // a Linux name (at most 15) or a Windows alias in UTF-8
  char cidr[64];
};

// The file's fixed layout (native byte order; both processes run on one host).
struct LeaseRegion {
  uint32_t magic;
  uint32_t version;
  std::atomic<uint64_t> seq;  // seqlock over the fields down to `vips`
  int64_t hold_until_ms;
  uint32_t isolation_response;  // 0 release, 1 keep
  uint32_t vip_count;
  uint64_t generation;  // of the VIP list
  LeaseVipSlot vips[kLeaseMaxVips];
  // Keeper-owned.
  std::atomic<uint64_t> released_generation;
  std::atomic<int64_t> released_at_ms;
  std::atomic<int32_t> keeper_pid;
  std::atomic<int64_t> keeper_alive_ms;
  // Written by `poolha-agent stop-keeper` only: the keeper exits ("agent stopped for good").
  std::atomic<uint32_t> stop_requested;
};
static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<int64_t>::is_always_lock_free,
              "the lease needs lock-free 64-bit atomics in shared memory");

struct LeaseVip {
  std::string ifname;
  std::string cidr;
  bool operator==(const LeaseVip&) const = default;
};

// What the agent writes.
struct LeaseHold {
  int64_t hold_until_ms = 0;
  IsolationResponse response = IsolationResponse::Release;
  std::vector<LeaseVip> vips;  // at most kLeaseMaxVips; names and cidrs at most 63 bytes
};

// A consistent read of the whole region.
struct LeaseSnapshot {
  LeaseHold hold;
  uint64_t generation = 0;
  uint64_t released_generation = 0;
  int64_t released_at_ms = 0;
  bool stop_requested = false;
  bool consistent = true;  // false: a writer was inside for the whole read (see read_lease)
};

// Fresh region contents (magic, version, no hold, no VIPs).
void init_lease(LeaseRegion& r);

// If `old` holds a version-1 lease (ifname[16]; Linux agents before the Windows port),
// what it said: its hold, response and list, and whether the keeper had released that
// list. The agent carries it into the new layout, so VIPs held across an upgrade stay
// listed and guarded.
struct LeaseV1Contents {
  LeaseHold hold;
  bool released = false;
};
std::optional<LeaseV1Contents> read_v1_lease(const std::string& old);
bool lease_valid(const LeaseRegion& r);

// Writer side (the agent). REQUIRES: one writer at a time (the caller serialises).
// The VIP list's generation grows only when the list changes. Error if the list
// does not fit (too many VIPs or names too long) — nothing is written then.
Status write_lease(LeaseRegion& r, const LeaseHold& hold);

// Reader side. Retries while a write is in progress, for at most `max_spins`
// attempts; if the writer never finishes (stopped inside a write) it returns the
// raw contents with consistent=false rather than wait — the keeper must not block.
LeaseSnapshot read_lease(const LeaseRegion& r, int max_spins = 10000);

enum class KeeperAction {
  Wait,     // hold current, keep response, nothing listed, or already released
  Release,  // remove every listed VIP now, then mark_released(generation)
  Exit,     // stop requested and nothing left to release
};
// The keeper's decision, pure: `now_ms` on CLOCK_MONOTONIC.
KeeperAction keeper_decide(const LeaseSnapshot& s, int64_t now_ms);

// Keeper side: records that the list of `generation` was removed.
void mark_released(LeaseRegion& r, uint64_t generation, int64_t now_ms);

// True if the agent should treat the VIPs listed under `generation` as gone.
bool released(const LeaseSnapshot& s);

// The host's monotonic clock in milliseconds, the same in every process: CLOCK_MONOTONIC
// (std::chrono::steady_clock) on Linux, GetTickCount64 on Windows. Defined beside
// each OS's LeaseFile.
int64_t monotonic_ms();

// The mapped lease file. Movable, not copyable; unmaps on destruction.
class LeaseFile {
 public:
  // create=true: create the file (0600) if missing and (re)initialise it if its
  // magic, version or size are wrong. create=false: error if missing or invalid.
  static Expected<LeaseFile> open(const std::string& path, bool create);
  LeaseFile(LeaseFile&& o) noexcept;
  LeaseFile& operator=(LeaseFile&& o) noexcept;
  LeaseFile(const LeaseFile&) = delete;
  LeaseFile& operator=(const LeaseFile&) = delete;
  ~LeaseFile();

  LeaseRegion& region() { return *region_; }
  const LeaseRegion& region() const { return *region_; }
  const std::string& path() const { return path_; }

 private:
  LeaseFile(LeaseRegion* r, std::string path) : region_(r), path_(std::move(path)) {}
  LeaseRegion* region_ = nullptr;
  std::string path_;
};

}  // namespace poolha::host
