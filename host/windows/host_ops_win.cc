#include "host/windows/host_ops_win.h"

#include "host/check_spec.h"
#include "host/windows/checks_win.h"
#include "host/windows/net_ops_win.h"
#include "host/windows/script_runner_win.h"

namespace poolha::host {

Expected<std::vector<Interface>> WindowsHostOps::list_interfaces() { return windows::list_interfaces(api_); }

Status WindowsHostOps::add_address(const std::string& ifname, const std::string& cidr) {
  return windows::add_address(api_, ifname, cidr);
}

Status WindowsHostOps::remove_address(const std::string& ifname, const std::string& cidr) {
  return windows::remove_address(api_, ifname, cidr);
}

Expected<ArpProbeOutcome> WindowsHostOps::arp_probe(const std::string& ifname, const std::string& cidr, int probes,
                                                    Millis, Millis) {
  return windows::arp_probe(api_, ifname, cidr, probes);
}

Status WindowsHostOps::announce(const std::string& ifname, const std::string& cidr, int count, Millis interval) {
  return windows::announce(api_, ifname, cidr, count, interval);
}

Expected<ScriptRun> WindowsHostOps::run_script(const std::string& script_dir, const std::string& name,
                                               const std::map<std::string, std::string>& env, Millis timeout) {
  return windows::run_script(script_dir, name, {}, env, timeout);
}

Status WindowsHostOps::validate_check(const CheckRequest& check, const CheckPolicy& policy) {
  auto spec = to_spec(check, "Windows");
  if (!spec.ok()) return spec.status();
  return validate_spec(*spec, policy, HostOs::Windows);
}

CheckResult WindowsHostOps::run_check(const CheckRequest& check, const CheckPolicy& policy) {
  auto spec = to_spec(check, "Windows");
  if (!spec.ok()) return {false, spec.error()};
  auto r = windows::run_check(*spec, policy, api_);
  return {r.healthy, std::move(r.detail)};
}

Expected<bool> WindowsHostOps::ping(const std::string& ipv4, Millis timeout) { return windows::ping(ipv4, timeout); }

}  // namespace poolha::host
