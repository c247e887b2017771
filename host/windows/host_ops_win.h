// HostOps (host/host_ops.h) for the Windows agent: VIPs through the IP Helper table
// (net_api.h), scripts in job objects, the checks of checks_win.h. The table is the
// only thing a test or a wine run swaps (tests/windows/vip_shim.h).
#pragma once

#include "host/host_ops.h"
#include "host/windows/net_api.h"

namespace poolha::host {

class WindowsHostOps : public HostOps {
 public:
  explicit WindowsHostOps(windows::NetApi api) : api_(std::move(api)) {}

  Expected<std::vector<Interface>> list_interfaces() override;
  Status add_address(const std::string& ifname, const std::string& cidr) override;
  Status remove_address(const std::string& ifname, const std::string& cidr) override;
  // `interval` and `wait` are the stack's own on Windows (net_ops_win.h).
  Expected<ArpProbeOutcome> arp_probe(const std::string& ifname, const std::string& cidr, int probes, Millis interval,
                                      Millis wait) override;
  Status announce(const std::string& ifname, const std::string& cidr, int count, Millis interval) override;
  Expected<ScriptRun> run_script(const std::string& script_dir, const std::string& name,
                                 const std::map<std::string, std::string>& env, Millis timeout) override;
  Status validate_check(const CheckRequest& check, const CheckPolicy& policy) override;
  CheckResult run_check(const CheckRequest& check, const CheckPolicy& policy) override;
  Expected<bool> ping(const std::string& ipv4, Millis timeout) override;

  const windows::NetApi& net_api() const { return api_; }

 private:
  windows::NetApi api_;
};

}  // namespace poolha::host
