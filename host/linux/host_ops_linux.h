// HostOps (host/host_ops.h) on Linux: netlink, AF_PACKET ARP, fork/exec scripts,
// /proc-based checks — all from host/linux/*.
#pragma once

#include "host/host_ops.h"

namespace poolha::host {

class LinuxHostOps final : public HostOps {
 public:
  Expected<std::vector<Interface>> list_interfaces() override;
  Status add_address(const std::string& ifname, const std::string& cidr) override;
  Status remove_address(const std::string& ifname, const std::string& cidr) override;
  Expected<ArpProbeOutcome> arp_probe(const std::string& ifname, const std::string& cidr, int probes, Millis interval,
                                      Millis wait) override;
  Status announce(const std::string& ifname, const std::string& cidr, int count, Millis interval) override;
  Expected<ScriptRun> run_script(const std::string& script_dir, const std::string& name,
                                 const std::map<std::string, std::string>& env, Millis timeout) override;
  Status validate_check(const CheckRequest& check, const CheckPolicy& policy) override;
  CheckResult run_check(const CheckRequest& check, const CheckPolicy& policy) override;
  Expected<bool> ping(const std::string& ipv4, Millis timeout) override;
};

}  // namespace poolha::host
