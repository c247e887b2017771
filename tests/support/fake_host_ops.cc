#include "tests/support/fake_host_ops.h"

#include <algorithm>

#include "agent/host.h"

namespace poolha::agent::testing {

Interface* FakeHostOps::find(const std::string& ifname) {
  for (auto& i : interfaces_)
    if (i.name == ifname) return &i;
  return nullptr;
}

bool FakeHostOps::has(const std::string& ifname, const std::string& cidr) const {
  std::lock_guard l(mu_);
  return has_address(interfaces_, ifname, cidr);
}

Expected<std::vector<Interface>> FakeHostOps::list_interfaces() {
  std::lock_guard l(mu_);
  return interfaces_;
}

Status FakeHostOps::add_address(const std::string& ifname, const std::string& cidr) {
  std::lock_guard l(mu_);
  calls_.push_back("add " + cidr + " " + ifname);
  Interface* i = find(ifname);
  if (!i) return Status::Error("add " + cidr + " on " + ifname + ": no such interface");
  if (!has_address(interfaces_, ifname, cidr)) i->addresses.push_back(canonical_cidr(cidr));
  return Status::Ok();
}

Status FakeHostOps::remove_address(const std::string& ifname, const std::string& cidr) {
  std::lock_guard l(mu_);
  calls_.push_back("remove " + cidr + " " + ifname);
  Interface* i = find(ifname);
  if (!i) return Status::Error("remove " + cidr + " on " + ifname + ": no such interface");
  std::erase_if(i->addresses, [&](const std::string& a) { return same_cidr(a, cidr); });
  return Status::Ok();
}

Expected<ArpProbeOutcome> FakeHostOps::arp_probe(const std::string& ifname, const std::string& cidr, int, Millis,
                                                 Millis) {
  std::lock_guard l(mu_);
  calls_.push_back("probe " + cidr + " " + ifname);
  if (!find(ifname)) return Expected<ArpProbeOutcome>::Error("probe on " + ifname + ": no such interface");
  if (conflicts_.count(cidr)) return ArpProbeOutcome{true, "02:00:00:00:00:99"};
  return ArpProbeOutcome{};
}

Status FakeHostOps::announce(const std::string& ifname, const std::string& cidr, int, Millis) {
  std::lock_guard l(mu_);
  calls_.push_back("announce " + cidr + " " + ifname);
  return Status::Ok();
}

Expected<ScriptRun> FakeHostOps::run_script(const std::string&, const std::string& name,
                                            const std::map<std::string, std::string>&, Millis) {
  std::lock_guard l(mu_);
  calls_.push_back("script " + name);
  auto it = scripts_.find(name);
  if (it == scripts_.end()) return Expected<ScriptRun>::Error("script " + name + " not found in the script directory");
  return it->second;
}

Status FakeHostOps::validate_check(const CheckRequest& check, const CheckPolicy&) {
  return check.kind.empty() ? Status::Error("check kind is empty") : Status::Ok();
}

CheckResult FakeHostOps::run_check(const CheckRequest& check, const CheckPolicy&) {
  std::lock_guard l(mu_);
  calls_.push_back("check " + check.kind);
  auto it = checks_.find(check.kind);
  return it == checks_.end() ? CheckResult{true, "ok"} : it->second;
}

Expected<bool> FakeHostOps::ping(const std::string&, Millis) { return true; }

}  // namespace poolha::agent::testing
