#include "controller/controller_vip.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "host/linux/keeper_launcher.h"
#include "host/addresses.h"

namespace poolha::controller {

using std::chrono::milliseconds;

namespace {

// The keeper binary: beside ours when installed (/usr/sbin), else in the build tree.
std::string keeper_binary() {
  const std::string beside = host::linux_keeper::keeper_beside_self();
  if (std::filesystem::exists(beside)) return beside;
  const std::string dir = beside.substr(0, beside.rfind('/'));
  return dir + "/../agent/poolha-lease-keeper";
}

struct Outcome {
  bool ok = false;
  std::string detail;
};

}  // namespace

ControllerVip::ControllerVip(boost::asio::io_context& io, host::HostOps& host, ControllerVipSpec spec,
                             std::string state_dir)
    : io_(io), host_(host), spec_(std::move(spec)), state_dir_(std::move(state_dir)) {}

ControllerVip::~ControllerVip() {
  *alive_ = false;
  worker_.join();
}

Status ControllerVip::start() {
  std::error_code ec;
  std::filesystem::create_directories(state_dir_, ec);
  if (ec) return Status::Error("controller VIP state dir " + state_dir_ + ": " + ec.message());
  auto file = host::LeaseFile::open(state_dir_ + "/lease", true);
  if (!file.ok()) return Status::Error("controller VIP lease: " + file.error());
  lease_.emplace(std::move(*file));
  auto ifs = host_.list_interfaces();
  if (!ifs.ok()) return Status::Error("controller VIP: " + ifs.error());
  // The agent's rule for a VIP: an interface with an address whose subnet holds it.
  ifname_ = spec_.interface.empty() ? host::interface_for_subnet(*ifs, spec_.cidr) : spec_.interface;
  if (ifname_.empty())
    return Status::Error("controller VIP " + spec_.cidr + ": no interface of this host is in its subnet; set controller_vip.interface");
  // A predecessor that crashed may have left it (its keeper removes it soon too).
  if (host::has_address(*ifs, ifname_, spec_.cidr)) {
    spdlog::warn("controller VIP {} found on {} at start: removing it", spec_.cidr, ifname_);
    if (auto st = host_.remove_address(ifname_, spec_.cidr); !st.ok()) return Status::Error("controller VIP: " + st.error());
  }
  write_hold(false);
  auto keeper = host::linux_keeper::ensure_keeper(keeper_binary(), state_dir_);
  if (!keeper.ok()) return Status::Error("controller VIP keeper: " + keeper.error());
  spdlog::info("controller VIP {} on {} (lease keeper pid {})", spec_.cidr, ifname_, *keeper);
  return Status::Ok();
}

void ControllerVip::stop() {
  want_ = false;
  if (state_ == State::Idle || ifname_.empty()) return;
  // Shutting down: remove it now rather than leave it to the keeper.
  if (auto st = host_.remove_address(ifname_, spec_.cidr); st.ok()) write_hold(false);
  state_ = State::Idle;
}

void ControllerVip::write_hold(bool listed) {
  host::LeaseHold h;
  h.hold_until_ms = host::monotonic_ms() + kHoldMs;
  h.response = host::IsolationResponse::Release;
  if (listed) h.vips.push_back({ifname_, spec_.cidr});
  if (auto st = host::write_lease(lease_->region(), h); !st.ok()) spdlog::error("controller VIP lease: {}", st.error());
}

void ControllerVip::set_active(bool active) {
  want_ = active;
  if (active && (state_ == State::Held || state_ == State::Acquiring)) write_hold(true);  // renew
  if (active && state_ == State::Idle && host::monotonic_ms() >= retry_at_ms_) acquire();
  if (!active && state_ == State::Held) release();
}

void ControllerVip::acquire() {
  state_ = State::Acquiring;
  write_hold(true);  // listed before the address exists, so the keeper can always clean up
  const std::string ifname = ifname_, cidr = spec_.cidr;
  auto alive = alive_;
  boost::asio::post(worker_, [this, alive, ifname, cidr] {
    Outcome o;
    auto probe = host_.arp_probe(ifname, cidr, 2, milliseconds(50), milliseconds(100));
    if (!probe.ok()) o.detail = probe.error();
    else if (probe->conflict) o.detail = "answered by " + probe->conflicting_mac + " (the previous holder, until its keeper removes it)";
    else if (auto st = host_.add_address(ifname, cidr); !st.ok()) o.detail = st.error();
    else {
      o.ok = true;
      (void)host_.announce(ifname, cidr, 3, milliseconds(100));
    }
    boost::asio::post(io_, [this, alive, o] {
      if (!*alive) return;
      if (!o.ok) {
        spdlog::warn("controller VIP {} not taken: {}; retrying", spec_.cidr, o.detail);
        state_ = State::Idle;
        retry_at_ms_ = host::monotonic_ms() + 300;
        write_hold(false);
        return;
      }
      state_ = State::Held;
      spdlog::info("controller VIP {} held on {}", spec_.cidr, ifname_);
      if (!want_) release();
    });
  });
}

void ControllerVip::release() {
  state_ = State::Releasing;
  const std::string ifname = ifname_, cidr = spec_.cidr;
  auto alive = alive_;
  boost::asio::post(worker_, [this, alive, ifname, cidr] {
    const Status st = host_.remove_address(ifname, cidr);
    boost::asio::post(io_, [this, alive, st] {
      if (!*alive) return;
      if (!st.ok()) {
        // Still listed and no longer renewed: the keeper removes it within kHoldMs.
        spdlog::error("controller VIP {}: {}; the keeper removes it within {} ms", spec_.cidr, st.error(), kHoldMs);
        state_ = State::Idle;
        retry_at_ms_ = host::monotonic_ms() + kHoldMs + 100;
        return;
      }
      write_hold(false);  // unlisted only once the address is gone
      state_ = State::Idle;
      spdlog::info("controller VIP {} released", spec_.cidr);
      if (want_) acquire();
    });
  });
}

}  // namespace poolha::controller
