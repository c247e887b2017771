#include "host/linux/host_ops_linux.h"

#include "host/linux/checks.h"
#include "host/linux/net_ops.h"
#include "host/linux/script_runner.h"

namespace poolha::host {

Expected<std::vector<Interface>> LinuxHostOps::list_interfaces() {
  auto r = linux_net::list_interfaces();
  if (!r.ok()) return r.status();
  std::vector<Interface> out;
  out.reserve(r->size());
  for (auto& i : *r) out.push_back({i.name, i.mac, i.up, i.carrier, std::move(i.addresses)});
  return out;
}

Status LinuxHostOps::add_address(const std::string& ifname, const std::string& cidr) {
  return linux_net::add_address(ifname, cidr);
}

Status LinuxHostOps::remove_address(const std::string& ifname, const std::string& cidr) {
  return linux_net::remove_address(ifname, cidr);
}

Expected<ArpProbeOutcome> LinuxHostOps::arp_probe(const std::string& ifname, const std::string& cidr, int probes,
                                                  Millis interval, Millis wait) {
  auto r = linux_net::arp_probe(ifname, cidr, probes, interval, wait);
  if (!r.ok()) return r.status();
  return ArpProbeOutcome{r->conflict, r->conflicting_mac};
}

Status LinuxHostOps::announce(const std::string& ifname, const std::string& cidr, int count, Millis interval) {
  return linux_net::announce(ifname, cidr, count, interval);
}

Expected<ScriptRun> LinuxHostOps::run_script(const std::string& script_dir, const std::string& name,
                                             const std::map<std::string, std::string>& env, Millis timeout) {
  auto r = linux_checks::run_script(script_dir, name, {}, env, timeout);
  if (!r.ok()) return r.status();
  return ScriptRun{r->exit_code, r->timed_out, std::move(r->output), r->duration};
}

Status LinuxHostOps::validate_check(const CheckRequest& check, const CheckPolicy& policy) {
  auto spec = to_spec(check, "Linux");
  if (!spec.ok()) return spec.status();
  return linux_checks::validate(*spec, policy);
}

CheckResult LinuxHostOps::run_check(const CheckRequest& check, const CheckPolicy& policy) {
  auto spec = to_spec(check, "Linux");
  if (!spec.ok()) return {false, spec.error()};
  auto r = linux_checks::run_check(*spec, policy);
  return {r.healthy, std::move(r.detail)};
}

Expected<bool> LinuxHostOps::ping(const std::string& ipv4, Millis timeout) { return linux_checks::ping(ipv4, timeout); }

}  // namespace poolha::host
