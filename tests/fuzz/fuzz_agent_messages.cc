// What a controller (or whoever holds a controller certificate) can make an agent do:
// a sequence of Commands and RoleAssignments through the agent's own admission
// (CommandLedger), execution (ActionRunner on an in-memory host) and monitor
// validation (the Linux checks' validator, against the host's policy). Invariants:
// the host's own address is never removed, nothing outside vip_subnets is ever added,
// and every result is valid UTF-8 a member can parse.
#include <unistd.h>

#include <filesystem>

#include "agent/action_runner.h"
#include "agent/host.h"
#include "agent/command_ledger.h"
#include "agent/config.h"
#include "host/linux/checks.h"
#include "agent/monitor_scheduler.h"
#include "common/utf8.h"
#include "tests/fuzz/quiet.h"
#include "tests/fuzz/records.h"
#include "tests/support/fake_host_ops.h"
#include "wire/frame.h"

namespace {

using namespace poolha;
using namespace poolha::agent;

struct AgentFixture {
  std::string dir;
  AgentConfig cfg;
  std::unique_ptr<testing::FakeHostOps> host;
  std::unique_ptr<IsolationLease> lease;
  std::unique_ptr<ActionRunner> runner;
  CommandLedger ledger;

  AgentFixture() {
    dir = "/tmp/poolha-fuzz-agent-" + std::to_string(getpid());
    std::filesystem::create_directories(dir);
    std::filesystem::remove(dir + "/lease");  // every input starts on a host that holds nothing
    cfg.node_id = "h1";
    cfg.arp.announce_count = 1;
    cfg.vip_policy.subnets = {"198.18.1.0/24"};
    cfg.log_dirs = {"/var/log/app"};
    host = std::make_unique<testing::FakeHostOps>(std::vector<Interface>{
        {"lo", "", true, true, {"127.0.0.1/8"}}, {"eth0", "02:00:00:00:00:01", true, true, {"198.18.1.5/24"}},
        {"eth1", "02:00:00:00:00:02", true, true, {"198.18.2.5/24"}}});
    lease = std::make_unique<IsolationLease>(std::move(*LeaseFile::open(dir + "/lease", true)), IsolationResponse::Release);
    (void)lease->renew(3'600'000);
    runner = std::make_unique<ActionRunner>(cfg, *host, *lease, [](std::function<void()> f) { f(); });
  }
};

void check_result(const wire::CommandResult& r) {
  if (!text::is_valid_utf8(r.detail()) || !text::is_valid_utf8(r.script_output())) __builtin_trap();
  wire::Envelope e;
  *e.mutable_result() = r;
  if (!wire::decode_body(e.SerializeAsString()).ok()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet_logs();
  AgentFixture f;  // a fresh host per input, so a crash replays from its input alone
  fuzz::Records in(data, size);
  fuzz::Record rec;
  for (int step = 0; step < 16 && in.next(&rec); ++step) {
    auto env = wire::decode_body(std::string(rec.payload));
    if (!env.ok()) continue;
    if (env->has_command()) {
      const auto& cmd = env->command();
      auto adm = f.ledger.admit(cmd);
      if (adm.verdict != CommandLedger::Verdict::Run) {
        check_result(adm.reply);
        continue;
      }
      const auto r = cmd.kind() == wire::Command::ACQUIRE ? f.runner->acquire(cmd) : f.runner->release(cmd);
      f.ledger.complete(r);
      check_result(r);
    } else if (env->has_role()) {
      const auto& ra = env->role();
      if (!f.ledger.note_role(ra.term(), ra.rule(), ra.epoch())) continue;
      for (const auto& m : ra.monitors()) {
        const rules::MonitorSpec spec = monitor_spec_from_wire(m);
        if (!monitor_refusal(spec, *f.host, f.cfg.check_policy()).empty()) continue;
        // The in-memory host accepts every kind: the Linux checks' own validator too.
        if (auto kind = host::linux_checks::parse_check_kind(spec.kind))
          (void)host::linux_checks::validate({*kind, spec.params, std::chrono::milliseconds(spec.timeout_ms)}, f.cfg.check_policy());
      }
    }
    // The host's own address survives whatever was asked.
    if (!f.host->has("eth0", "198.18.1.5/24") || !f.host->has("eth1", "198.18.2.5/24")) __builtin_trap();
    for (const auto& i : f.host->interfaces())
      for (const auto& a : i.addresses)
        if (a != "127.0.0.1/8" && a != "198.18.1.5/24" && a != "198.18.2.5/24" && !in_subnet("198.18.1.0/24", a))
          __builtin_trap();  // an address outside vip_subnets was added
  }
  return 0;
}
