// The agent's whole contact with the operating system (design S3, LevelDB's Env):
// interfaces and addresses, ARP probe and announce, scripts, health checks, ping.
// The Linux implementation is host/linux/host_ops_linux.h; the Windows port
// implements the same interface; tests may substitute a fake. Nothing in agent/
// outside an OS folder includes an OS header.
//
// Threading: every call may block (netlink, sockets, child processes) and is
// bounded by its timeout or by the implementation's own socket timeouts. Call them
// only from worker threads, never on the event loop. Implementations keep no
// mutable state, so calls from several threads at once are safe.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/text_encoding.h"

namespace poolha::host {

using Millis = std::chrono::milliseconds;

struct Interface {
  std::string name;
  std::string mac;  // "aa:bb:cc:dd:ee:ff"; empty without a hardware address
  bool up = false;
  bool carrier = false;
  std::vector<std::string> addresses;  // "198.18.1.5/24", "2001:db8::1/64"
};

struct ArpProbeOutcome {
  bool conflict = false;
  std::string conflicting_mac;  // set when conflict
};

struct ScriptRun {
  int exit_code = -1;  // 128+signal if killed by a signal
  bool timed_out = false;
  std::string output;  // stdout+stderr, capped at 64 KiB
  Millis duration{0};
};

// What this host lets monitors do (agent.yaml, issue 9 §3): a monitor spec comes from
// the controller, so the host decides where check scripts live, which log files a
// log_pattern monitor may read, whether script monitors may take arguments, and how
// scripts' output is encoded.
struct CheckPolicy {
  std::string script_dir;
  std::vector<std::string> log_dirs;  // absolute; log_pattern reads regular files under these only
  bool script_args = false;           // script monitors may pass (checked) arguments
  text::Encoding script_output_encoding = text::Encoding::Utf8;
};

// A health check as a monitor spec names it (kind and params as in rules::MonitorSpec).
struct CheckRequest {
  std::string kind;
  std::map<std::string, std::string> params;
  Millis timeout{1000};
};

struct CheckResult {
  bool healthy = false;
  std::string detail;
};

class HostOps {
 public:
  virtual ~HostOps() = default;

  // All links with their addresses, in a stable order (Linux: interface index).
  virtual Expected<std::vector<Interface>> list_interfaces() = 0;
  // Both idempotent: adding a present address or removing an absent one is success.
  virtual Status add_address(const std::string& ifname, const std::string& cidr) = 0;
  virtual Status remove_address(const std::string& ifname, const std::string& cidr) = 0;
  // RFC 5227 probe (sender 0.0.0.0); returns early on the first conflict.
  virtual Expected<ArpProbeOutcome> arp_probe(const std::string& ifname, const std::string& cidr, int probes,
                                              Millis interval, Millis wait) = 0;
  // Gratuitous ARP / unsolicited NA, `count` times `interval` apart.
  virtual Status announce(const std::string& ifname, const std::string& cidr, int count, Millis interval) = 0;
  // Runs script_dir/name with only `env` (plus a fixed PATH). Error: not run at all
  // (refused path — design §7 —, exec failure); a script that ran and failed is a ScriptRun.
  virtual Expected<ScriptRun> run_script(const std::string& script_dir, const std::string& name,
                                         const std::map<std::string, std::string>& env, Millis timeout) = 0;
  // Error if kind/params/timeout are not valid for this OS or not allowed by the
  // policy; names the bad param.
  virtual Status validate_check(const CheckRequest& check, const CheckPolicy& policy) = 0;
  // Never longer than check.timeout (+ small slack); an invalid check is unhealthy.
  virtual CheckResult run_check(const CheckRequest& check, const CheckPolicy& policy) = 0;
  // ICMP echo: true if answered within timeout; error if nothing could be sent.
  virtual Expected<bool> ping(const std::string& ipv4, Millis timeout) = 0;
};

}  // namespace poolha::host
