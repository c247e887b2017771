// Health checks (monitors, design §3.1) for the Linux agent.
//
// Every check is blocking and bounded by spec.timeout (plus small slack); the
// caller (the agent's monitor scheduler) owns interval, consecutive-failure
// threshold and local-restart logic.
//
// Params per kind: host/check_spec.h. On Linux: process matches /proc/PID/comm and
// /proc/PID/cmdline (zombies not counted); service runs `systemctl is-active UNIT`;
// cpu samples /proc/stat twice ~200 ms apart (less if the timeout is short); memory
// is (MemTotal-MemAvailable)/MemTotal; disk is used/(used+avail) as df shows it;
// nic_link is /sys/class/net/IF/operstate "up", or "unknown" with carrier 1 (loopback
// and some virtual drivers never report "up"); log_pattern resolves the path inside
// log_dirs (realpath) and opens regular files only (host/log_scan.h); a script
// monitor's script gets an empty environment plus PATH and POOLHA_CHECK=1.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"
#include "host/check_spec.h"

namespace poolha::host::linux_checks {

using host::CheckKind;
using host::CheckOutcome;
using host::CheckPolicy;
using host::CheckSpec;
using host::parse_check_kind;
using host::to_string;

// validate_spec with Linux's rules: used when config is loaded and when the controller
// sends a monitor.
Status validate(const CheckSpec&, const CheckPolicy&);

// Runs one check, blocking, never longer than spec.timeout (+ small slack).
// An invalid spec yields healthy=false with the validation error as detail.
CheckOutcome run_check(const CheckSpec&, const CheckPolicy&);

// ICMP echo to an IPv4 literal: true if a reply arrived within timeout, false
// if none did (or the network is unreachable); an error if no probe could be
// sent at all (bad address, no ICMP socket permitted). Uses an unprivileged
// SOCK_DGRAM/IPPROTO_ICMP socket when net.ipv4.ping_group_range allows, else a
// raw socket (needs CAP_NET_RAW).
Expected<bool> ping(const std::string& ipv4, std::chrono::milliseconds timeout);

}  // namespace poolha::host::linux_checks
