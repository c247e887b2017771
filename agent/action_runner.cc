#include "agent/action_runner.h"

#include <chrono>
#include <set>
#include <thread>

#include "agent/host.h"
#include "agent/vip_policy.h"
#include "common/text_encoding.h"
#include "common/utf8.h"

namespace poolha::agent {

namespace {

using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

std::string vip_list(const wire::Command& cmd) {
  std::string s;
  for (const auto& v : cmd.vips()) s += (s.empty() ? "" : " ") + v.cidr();
  return s;
}

wire::CommandResult result(const wire::Command& cmd, wire::CommandResult::Outcome o, const std::string& detail) {
  wire::CommandResult r;
  r.set_action_id(cmd.action_id());
  r.set_outcome(o);
  r.set_detail(detail);
  return r;
}

void put_script(wire::CommandResult& r, const ScriptRun& run, const std::string& name, text::Encoding encoding) {
  r.set_exit_code(run.exit_code);
  // Bytes in the console's encoding, as UTF-8 within the wire's cap (a result with a
  // string that is not UTF-8 would be refused whole by every member).
  r.set_script_output(text::clean_text(text::decode_to_utf8(run.output, encoding), kMaxScriptOutputBytes,
                                       "\n[poolha: output cut]"));
  if (run.timed_out) {
    r.set_outcome(wire::CommandResult::TIMED_OUT);
    r.set_detail("script " + name + " timed out after " + std::to_string(run.duration.count()) + " ms");
  } else if (run.exit_code != 0) {
    r.set_outcome(wire::CommandResult::FAILED);
    r.set_detail("script " + name + " exited with " + std::to_string(run.exit_code));
  }
}

Millis script_timeout(const wire::Command& cmd) {
  const int64_t t = cmd.script_timeout_ms();
  return Millis(t > 0 && t <= 600'000 ? t : 5000);
}

}  // namespace

ActionRunner::ActionRunner(const AgentConfig& cfg, HostOps& host, IsolationLease& lease, Background background)
    : cfg_(cfg), host_(host), lease_(lease), background_(std::move(background)) {}

std::map<std::string, std::string> ActionRunner::script_env(const wire::Command& cmd, const std::string& role,
                                                            const std::string& action) const {
  return {{"POOLHA_RULE", cmd.rule()},
          {"POOLHA_ROLE", role},
          {"POOLHA_VIPS", vip_list(cmd)},
          {"POOLHA_OLD_NODE", cmd.old_node()},
          {"POOLHA_NEW_NODE", action == "acquire" ? cfg_.node_id : cmd.new_node()},
          {"POOLHA_EPOCH", std::to_string(cmd.epoch())},
          {"POOLHA_ACTION", action},
          {"POOLHA_NODE", cfg_.node_id}};
}

void ActionRunner::undo(const std::vector<HeldVip>& added) {
  for (const auto& v : added) {
    if (host_.remove_address(v.ifname, v.cidr).ok()) lease_.unlist(v.ifname, v.cidr);
  }
}

void ActionRunner::announce_rest(const std::string& ifname, const std::string& cidr) {
  const int rest = cfg_.arp.announce_count - 1;
  if (rest <= 0) return;
  const Millis interval(cfg_.arp.announce_interval_ms);
  background_([this, ifname, cidr, rest, interval] {
    for (int i = 0; i < rest; ++i) {
      std::this_thread::sleep_for(interval);
      // design §3.3: never announce an address whose hold has lapsed (e.g. after a pause).
      if (!lease_.hold_current()) return;
      bool still_ours = false;
      for (const auto& h : lease_.held())
        if (h.ifname == ifname && same_cidr(h.cidr, cidr)) still_ours = true;
      if (!still_ours) return;
      (void)host_.announce(ifname, cidr, 1, Millis(0));
    }
  });
}

wire::CommandResult ActionRunner::acquire(const wire::Command& cmd) {
  const auto start = Clock::now();
  auto finish = [&](wire::CommandResult r) {
    r.set_duration_ms(ms_since(start));
    r.set_detail(text::clean_text(r.detail(), kMaxResultDetailBytes));
    return r;
  };
  auto ifaces = host_.list_interfaces();
  if (!ifaces.ok()) return finish(result(cmd, wire::CommandResult::FAILED, ifaces.error()));

  std::vector<HeldVip> added;  // by this command, undone on any failure
  for (const auto& vip : cmd.vips()) {
    const std::string cidr = canonical_cidr(vip.cidr());
    if (cidr.empty()) {
      undo(added);
      return finish(result(cmd, wire::CommandResult::FAILED, "VIP '" + vip.cidr() + "' is not address/prefix"));
    }
    const std::string ifname = vip_interface(*ifaces, vip.interface(), cidr);
    bool ours = false;
    for (const auto& h : lease_.held()) ours = ours || same_cidr(h.cidr, cidr);
    if (std::string why = vip_refusal(cfg_.vip_policy, *ifaces, ifname, cidr, ours); !why.empty()) {
      undo(added);
      return finish(result(cmd, wire::CommandResult::REFUSED, why));
    }
    // Present and ours: a repeated acquire (or a restart while holding it): no probe.
    const bool present = ours && has_address(*ifaces, ifname, cidr);
    if (!lease_.hold_current()) {
      undo(added);
      return finish(result(cmd, wire::CommandResult::FAILED, "VIP " + cidr + ": isolation hold lapsed; not adding"));
    }
    if (auto st = lease_.list({cmd.rule(), ifname, cidr, false}); !st.ok()) {
      undo(added);
      return finish(result(cmd, wire::CommandResult::FAILED, st.error()));
    }
    if (!present) {
      auto probe = host_.arp_probe(ifname, cidr, cfg_.arp.probes, Millis(cfg_.arp.probe_interval_ms),
                                   Millis(cfg_.arp.probe_wait_ms));
      if (!probe.ok() || probe->conflict) {
        lease_.unlist(ifname, cidr);
        undo(added);
        if (!probe.ok()) return finish(result(cmd, wire::CommandResult::FAILED, probe.error()));
        return finish(result(cmd, wire::CommandResult::CONFLICT,
                             "VIP " + cidr + " on " + ifname + " answered by " + probe->conflicting_mac));
      }
      // The probe took ~200 ms: the hold may have lapsed meanwhile, and then the
      // controller may already be giving this VIP to someone else.
      if (!lease_.hold_current()) {
        lease_.unlist(ifname, cidr);
        undo(added);
        return finish(result(cmd, wire::CommandResult::FAILED, "VIP " + cidr + ": isolation hold lapsed during the probe; not adding"));
      }
      if (auto st = host_.add_address(ifname, cidr); !st.ok()) {
        (void)host_.remove_address(ifname, cidr);
        lease_.unlist(ifname, cidr);
        undo(added);
        return finish(result(cmd, wire::CommandResult::FAILED, st.error()));
      }
      added.push_back({cmd.rule(), ifname, cidr, false});
    }
    if (lease_.hold_current()) (void)host_.announce(ifname, cidr, 1, Millis(0));
    announce_rest(ifname, cidr);
  }

  wire::CommandResult r = result(cmd, wire::CommandResult::OK, "");
  if (!cmd.script().empty()) {
    auto run = host_.run_script(cfg_.script_dir, cmd.script(), script_env(cmd, "primary", "acquire"), script_timeout(cmd));
    if (!run.ok()) {
      r.set_outcome(wire::CommandResult::FAILED);
      r.set_detail("script " + cmd.script() + ": " + run.error());
    } else {
      put_script(r, *run, cmd.script(), cfg_.script_output_encoding);
    }
    if (r.outcome() != wire::CommandResult::OK) {
      undo(added);
      return finish(r);
    }
  }
  for (const auto& vip : cmd.vips()) {
    for (const auto& h : lease_.held())
      if (h.rule == cmd.rule() && same_cidr(h.cidr, vip.cidr())) lease_.confirm(h.ifname, h.cidr);
  }
  r.set_detail("acquired " + (cmd.vips_size() ? vip_list(cmd) : std::string("(no VIPs)")));
  return finish(r);
}

wire::CommandResult ActionRunner::release(const wire::Command& cmd) {
  const auto start = Clock::now();
  wire::CommandResult r = result(cmd, wire::CommandResult::OK, "");
  if (!cmd.script().empty()) {
    auto run = host_.run_script(cfg_.script_dir, cmd.script(), script_env(cmd, "idle", "release"), script_timeout(cmd));
    if (!run.ok()) {
      r.set_outcome(wire::CommandResult::FAILED);
      r.set_detail("script " + cmd.script() + ": " + run.error());
    } else {
      put_script(r, *run, cmd.script(), cfg_.script_output_encoding);
    }
  }
  // Remove what poolha added: the addresses the lease lists. An address the host has
  // that poolha did not add (its own address named as a VIP) is never touched.
  std::string problems;
  auto note = [&](const std::string& p) { problems += (problems.empty() ? "" : "; ") + p; };
  for (const auto& vip : cmd.vips()) {
    const std::string cidr = canonical_cidr(vip.cidr());
    std::set<std::string> where;
    for (const auto& h : lease_.held())
      if (same_cidr(h.cidr, cidr)) where.insert(h.ifname);
    for (const auto& ifname : where) {
      if (auto st = host_.remove_address(ifname, cidr); !st.ok()) note(st.error());
      else lease_.unlist(ifname, cidr);
    }
  }
  // vips_removed is what the interfaces say now, not what we intended.
  bool gone = true;
  auto after = host_.list_interfaces();
  if (!after.ok()) {
    gone = false;
    note(after.error());
  } else {
    for (const auto& vip : cmd.vips()) {
      const auto left = interfaces_with_address(*after, vip.cidr());
      if (left.empty()) continue;
      gone = false;
      bool listed = false;
      for (const auto& h : lease_.held()) listed = listed || same_cidr(h.cidr, vip.cidr());
      if (!listed)
        note("VIP " + vip.cidr() + " is present on " + left.front() +
             " but poolha did not add it: left in place (check the rule's VIPs against this host's addresses)");
    }
  }
  r.set_vips_removed(gone);
  if (!problems.empty() || !gone) {
    if (r.outcome() == wire::CommandResult::OK) r.set_outcome(wire::CommandResult::FAILED);
    r.set_detail((r.detail().empty() ? "" : r.detail() + "; ") + (problems.empty() ? "VIPs still present" : problems));
  } else if (r.outcome() == wire::CommandResult::OK) {
    r.set_detail("released " + (cmd.vips_size() ? vip_list(cmd) : std::string("(no VIPs)")));
  }
  r.set_duration_ms(ms_since(start));
  r.set_detail(text::clean_text(r.detail(), kMaxResultDetailBytes));
  return r;
}

std::vector<std::string> ActionRunner::run_isolation_scripts(const std::vector<HeldVip>& vips,
                                                             const ReleaseScripts& scripts) {
  std::vector<std::string> lines;
  std::map<std::string, std::string> by_rule;  // rule -> its VIPs
  for (const auto& v : vips) by_rule[v.rule] += (by_rule[v.rule].empty() ? "" : " ") + v.cidr;
  for (const auto& [rule, cidrs] : by_rule) {
    std::map<std::string, std::string> env{{"POOLHA_RULE", rule},          {"POOLHA_ROLE", "idle"},
                                           {"POOLHA_VIPS", cidrs},          {"POOLHA_OLD_NODE", cfg_.node_id},
                                           {"POOLHA_NEW_NODE", ""},         {"POOLHA_EPOCH", ""},
                                           {"POOLHA_ACTION", "isolation-release"}, {"POOLHA_NODE", cfg_.node_id}};
    // The rule's own release script when the controller told us it; otherwise the
    // optional isolation-release (a missing one is refused by run_script and skipped).
    auto known = scripts.find(rule);
    if (known != scripts.end() && known->second.first.empty()) continue;  // the rule has no release script
    const bool own = known != scripts.end();
    const std::string script = own ? known->second.first : kIsolationReleaseScript;
    const Millis timeout(own && known->second.second > 0 ? known->second.second : 5000);
    auto run = host_.run_script(cfg_.script_dir, script, env, timeout);
    if (run.ok())
      lines.push_back("rule " + rule + ": " + script + " exited " + std::to_string(run->exit_code) +
                      (run->timed_out ? " (timed out)" : ""));
  }
  return lines;
}

ActionRunner::Removal ActionRunner::remove_all(const std::vector<HeldVip>& vips, const std::string& why) {
  Removal out;
  for (const auto& v : vips) {
    auto st = host_.remove_address(v.ifname, v.cidr);
    if (st.ok()) lease_.unlist(v.ifname, v.cidr);
    out.all_removed &= st.ok();
    out.lines.push_back(st.ok() ? "removed " + v.cidr + " from " + v.ifname + " (" + why + ")"
                                : "FAILED to remove " + v.cidr + " from " + v.ifname + ": " + st.error() +
                                      " (the lease keeper will retry)");
  }
  return out;
}

}  // namespace poolha::agent
