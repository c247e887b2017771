// Health checks (monitors, design §3.1) for the Linux agent.
//
// Every check is blocking and bounded by spec.timeout (plus small slack); the
// caller (the agent's monitor scheduler) owns interval, consecutive-failure
// threshold and local-restart logic.
//
// Params per kind (all values are strings):
//   process     name=COMM (exact match of /proc/PID/comm, compared on its first
//               15 chars as the kernel truncates comm) and/or cmdline=SUBSTR
//               (substring of /proc/PID/cmdline with NULs as spaces); if both
//               are given a process must match both. min_count (default 1).
//               Zombies are not counted.
//   service     unit=UNIT: `systemctl is-active UNIT` exits 0. Unhealthy (with
//               detail) if systemctl is missing.
//   tcp_port    host (IPv4/IPv6 literal, default 127.0.0.1; no DNS), port.
//   http        url=http://HOST[:PORT][/PATH] (HOST an IPv4 literal or [IPv6]
//               literal; no DNS, no https), expect_status (default 200).
//               HTTP/1.0 GET; only the status line is examined.
//   cpu         max_percent: busy share over two /proc/stat samples ~200 ms
//               apart (less if the timeout is short). Healthy if <= max.
//   memory      max_percent: (MemTotal-MemAvailable)/MemTotal. Healthy if <= max.
//   disk        path (absolute), max_percent: used/(used+avail) as df shows it.
//   nic_link    interface: /sys/class/net/IF/operstate is "up", or is
//               "unknown" with carrier 1 (loopback and some virtual drivers
//               never report "up"; carrier 1 means the link is there).
//   gateway     address=IPv4 literal: ICMP echo answered within the timeout.
//   log_pattern path (absolute, under one of the policy's log_dirs, resolving
//               inside it, a regular file: never a device node or a link out),
//               pattern (RE2: linear time, at most 1 KiB, 1 MiB of program),
//               encoding (utf-8 default, or gbk: lines are decoded before
//               matching): unhealthy if a complete line appended since the
//               previous call matches. The read position is kept per (path,
//               pattern) in a process-wide map; the first call starts at end of
//               file; truncation or a new inode (rotation) restarts at offset 0.
//               A missing file is healthy ("nothing to scan") and, when it
//               appears, is read from its start. At most 8 MiB are scanned per
//               call, lines are cut at 4 KiB.
//   script      name (relative to the policy's script_dir), args (optional,
//               split on whitespace, no quoting; only where the policy allows
//               script arguments, each of letters, digits and ._:=@%+,/-):
//               exit 0 within the timeout = healthy. The script gets an empty
//               environment plus PATH and POOLHA_CHECK=1; its output is decoded
//               from the policy's script_output_encoding.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "host/host_ops.h"
#include "common/status.h"

namespace poolha::host::linux_checks {

using host::CheckPolicy;

// Script stays last: tests/unit/checks_test.cc counts the kinds by it against rules::kMonitorKinds.
enum class CheckKind { Process, Service, TcpPort, Http, Cpu, Memory, Disk, NicLink, Gateway, LogPattern, Script };

struct CheckSpec {
  CheckKind kind;
  std::map<std::string, std::string> params;  // per kind, above
  std::chrono::milliseconds timeout{1000};
};

struct CheckOutcome {
  bool healthy = false;
  std::string detail;  // what was seen, e.g. "port 127.0.0.1:8080 refused"
};

// "process","service","tcp_port","http","cpu","memory","disk","nic_link",
// "gateway","log_pattern","script".
std::optional<CheckKind> parse_check_kind(const std::string&);
std::string to_string(CheckKind);

// Validates params (and timeout: 1 ms .. 10 min) for the kind against what the host
// allows; the error names the missing/bad param. Used when config is loaded and when
// the controller sends a monitor. Unknown params are refused.
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
