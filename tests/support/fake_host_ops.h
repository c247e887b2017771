// An in-memory host for the agent's portable core (design S3: the OS seam has a
// double). Interfaces and addresses are a table, ARP conflicts and script and check
// outcomes are what the test sets; every call is recorded. The real Linux host is
// tested in network namespaces (net_ops_test, checks_test); this fake is for what
// sits above the seam: the action runner's VIP policy, text cleaning, fuzzing.
//
// Thread-safe (one mutex), like the real HostOps.
#pragma once
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "agent/host.h"

namespace poolha::agent::testing {

class FakeHostOps : public HostOps {
 public:
  explicit FakeHostOps(std::vector<Interface> interfaces) : interfaces_(std::move(interfaces)) {}

  // Test controls.
  void set_conflict(const std::string& cidr) { std::lock_guard l(mu_); conflicts_.insert(cidr); }
  void set_script(const std::string& name, ScriptRun run) { std::lock_guard l(mu_); scripts_[name] = std::move(run); }
  void set_check(const std::string& kind, CheckResult r) { std::lock_guard l(mu_); checks_[kind] = std::move(r); }
  std::vector<std::string> calls() const { std::lock_guard l(mu_); return calls_; }
  std::vector<Interface> interfaces() const { std::lock_guard l(mu_); return interfaces_; }
  bool has(const std::string& ifname, const std::string& cidr) const;

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

 private:
  Interface* find(const std::string& ifname);

  mutable std::mutex mu_;
  std::vector<Interface> interfaces_;
  std::set<std::string> conflicts_;
  std::map<std::string, ScriptRun> scripts_;
  std::map<std::string, CheckResult> checks_;
  std::vector<std::string> calls_;
};

}  // namespace poolha::agent::testing
