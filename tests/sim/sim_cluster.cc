#include "tests/sim/sim_cluster.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <sstream>

#include "rules/json_codec.h"

namespace poolha::sim {

using rules::TimeMs;

namespace {

constexpr TimeMs kStep = 10;          // simulation resolution
constexpr TimeMs kTickEvery = 50;     // controller tick
constexpr TimeMs kActionTimeout = 3000;
constexpr TimeMs kProbeMs = 150;      // ARP probe wait on acquire


struct Host {
  std::string id;
  std::string subnet;  // its own address, "198.18.1.N/24"
  int capacity = 1;
  bool kernel_up = true;      // false: crashed / powered off
  bool agent_running = true;  // false: agent process stopped (SIGSTOP) or restarting
  TimeMs agent_back_at = 0;   // restart finishes
  bool paused = false;
  bool link_ctrl = true;
  bool link_arb = true;
  bool client_net = true;     // on the clients' network (and can reach its isolation address)
  TimeMs last_contact = 0;    // agent's monotonic view of its last ack from any member
  std::map<std::string, std::string> held;  // vip -> rule
  std::map<std::string, uint64_t> epoch_seen;
  std::set<uint64_t> done_actions;
  bool fail_acquire = false;
  bool fail_release = false;
  std::set<std::string> failing_rules;  // rule monitors failing here
};

struct Pending {
  TimeMs at;
  uint64_t seq;
  std::function<void()> fn;
  bool operator>(const Pending& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

class Sim {
 public:
  explicit Sim(const SimOptions& o) : opt_(o), rng_(o.seed), tracker_(rules::Settings{}.suspect_after_ms) {}

  SimReport run() {
    build();
    schedule_faults();
    const TimeMs end = opt_.duration_ms + opt_.settle_ms;
    while (now_ < end && report_.violations.size() < 5) {
      now_ += kStep;
      run_due();
      agents_step();
      heartbeats();
      if (now_ % kTickEvery == 0) controller_tick();
      if (settling_ && now_ % 5000 == 0) operator_resumes_admin_wait();
      check_invariants();
    }
    final_check();
    if (opt_.verbose) trace("final state " + rules::to_json(engine_.state()).dump());
    return report_;
  }

 private:
  // ------------------------------------------------------------ set-up
  int rnd(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  void build() {
    const int hosts = rnd(3, 7), rules_n = rnd(1, std::min(4, hosts - 1));
    apply(rules::UpsertPool{rules::PoolSpec{"p1", 0.1, false}});
    for (int i = 0; i < hosts; ++i) {
      Host h;
      h.id = "n" + std::to_string(i);
      h.subnet = "198.18.1." + std::to_string(10 + i) + "/24";
      h.capacity = chance(0.3) ? 2 : 1;
      hosts_[h.id] = h;
      rules::NodeSpec spec;
      spec.id = h.id;
      spec.pool = "p1";
      spec.capacity = h.capacity;
      spec.priority = 100 - i;
      apply(rules::UpsertNode{spec});
    }
    for (int i = 0; i < rules_n; ++i) {
      rules::RuleSpec r;
      r.id = "r" + std::to_string(i);
      r.pool = "p1";
      r.home = "n" + std::to_string(i % hosts);
      r.vips = {{"198.18.1." + std::to_string(100 + i) + "/24", ""}};
      r.local_takeover = chance(0.7);
      r.on_arbiter_down = chance(0.5) ? rules::ArbiterDownPolicy::Switch : rules::ArbiterDownPolicy::Hold;
      if (i >= 2 && chance(0.4)) {  // r2/r3 may form a group
        r.group = "g";
        r.group_order = i;
      }
      if (chance(0.15)) r.fixed_target = "n" + std::to_string((i + 1) % hosts);
      if (chance(0.2)) r.failback = rules::FailbackPolicy::Automatic, r.failback_delay_ms = 3000;
      r.acquire_script = "acquire.sh";
      r.release_script = "release.sh";
      apply(rules::UpsertRule{r, now_});
    }
  }

  using Fault = std::function<void()>;

  void schedule_faults() {
    for (int i = 0; i < opt_.faults; ++i) {
      TimeMs at = rnd(1, static_cast<int>(opt_.duration_ms / kStep)) * kStep;
      const std::string h = "n" + std::to_string(rnd(0, static_cast<int>(hosts_.size()) - 1));
      const std::string r = "r" + std::to_string(rnd(0, static_cast<int>(engine_.state().rules.size()) - 1));
      const int kind = rnd(0, 17);
      const TimeMs dur = rnd(1, 80) * 100;
      auto later = [&](TimeMs d, std::function<void()> fn) { at_time(at + d, std::move(fn)); };
      switch (kind) {
        case 0:  // host crash, back (reboot) later
          at_time(at, [this, h] { crash(h); });
          later(dur, [this, h] { boot(h); });
          break;
        case 1:  // network down, then restored
          at_time(at, [this, h] { set_links(h, false, false, false); });
          later(dur, [this, h] { set_links(h, true, true, true); });
          break;
        case 2:  // controller <-> node link cut (arbiter still sees it)
          at_time(at, [this, h] { hosts_[h].link_ctrl = false; });
          later(dur, [this, h] { hosts_[h].link_ctrl = true; });
          break;
        case 3:  // cut from the whole control plane, still on the client network
          at_time(at, [this, h] { set_links(h, false, false, true); });
          later(dur, [this, h] { set_links(h, true, true, true); });
          break;
        case 4:  // agent hung (SIGSTOP) then continued
          at_time(at, [this, h] { hosts_[h].paused = true; });
          later(dur, [this, h] { resume(h); });
          break;
        case 5:  // agent restarted (short gap, addresses stay)
          at_time(at, [this, h] {
            hosts_[h].agent_running = false;
            hosts_[h].agent_back_at = now_ + 300;
          });
          break;
        case 6:  // rule monitor failure on a node, recovered later
          at_time(at, [this, h, r] { monitor(h, r, false); });
          later(dur, [this, h, r] { monitor(h, r, true); });
          break;
        case 7:
          at_time(at, [this, h] { hosts_[h].fail_acquire = true; });
          later(dur, [this, h] { hosts_[h].fail_acquire = false; });
          break;
        case 8:
          at_time(at, [this, h] { hosts_[h].fail_release = true; });
          later(dur, [this, h] { hosts_[h].fail_release = false; });
          break;
        case 9:  // arbiter down
          at_time(at, [this] { arbiter_up_ = false; });
          later(dur, [this] { arbiter_up_ = true; });
          break;
        case 10:
          at_time(at, [this] { restart_controller(); });
          break;
        case 11:
          at_time(at, [this, r] { operator_cmd(rules::Switchover{r, "", false, now_}); });
          break;
        case 12:
          at_time(at, [this, r] { operator_cmd(rules::Switchover{r, "", true, now_}); });
          break;
        case 13:
          at_time(at, [this, r] { operator_cmd(rules::Failback{r, now_}); });
          break;
        case 14:
          at_time(at, [this, h] { operator_cmd(rules::SetMaintenance{h, true, now_}); });
          later(dur, [this, h] { operator_cmd(rules::SetMaintenance{h, false, now_}); });
          break;
        case 15:  // a foreign host answers a rule's VIP for a while
          at_time(at, [this, r] { foreign_.insert(vip_of(r)); });
          later(dur, [this, r] { foreign_.erase(vip_of(r)); });
          break;
        case 16:
          at_time(at, [this, r] { operator_cmd(rules::Freeze{r, "", true}); });
          later(dur, [this, r] { operator_cmd(rules::Freeze{r, "", false}); });
          break;
        default:  // arbiter <-> node link cut
          at_time(at, [this, h] { hosts_[h].link_arb = false; });
          later(dur, [this, h] { hosts_[h].link_arb = true; });
          break;
      }
    }
  }

  std::string vip_of(const std::string& rule) {
    auto it = engine_.state().rules.find(rule);
    return it == engine_.state().rules.end() ? "" : it->second.spec.vips.front().cidr;
  }

  void at_time(TimeMs at, std::function<void()> fn) { queue_.push({at, seq_++, std::move(fn)}); }
  void run_due() {
    while (!queue_.empty() && queue_.top().at <= now_) {
      auto p = queue_.top();
      queue_.pop();
      p.fn();
    }
  }
  void trace(const std::string& s) {
    if (opt_.verbose) report_.trace.push_back(std::to_string(now_) + " " + s);
  }

  // ------------------------------------------------------------ faults
  void crash(const std::string& h) {
    Host& x = hosts_[h];
    x.kernel_up = false;
    x.held.clear();
    trace("crash " + h);
  }
  void boot(const std::string& h) {
    Host& x = hosts_[h];
    x.kernel_up = true;
    x.agent_running = true;
    x.paused = false;
    x.last_contact = now_;
    trace("boot " + h);
  }
  void set_links(const std::string& h, bool ctrl, bool arb, bool client) {
    Host& x = hosts_[h];
    x.link_ctrl = ctrl;
    x.link_arb = arb;
    x.client_net = client;
    trace("links " + h + " ctrl=" + std::to_string(ctrl) + " arb=" + std::to_string(arb) + " client=" + std::to_string(client));
  }
  void resume(const std::string& h) {
    Host& x = hosts_[h];
    x.paused = false;
    // design §3.3: a woken agent checks its hold on the monotonic clock before anything else.
    isolation_check(x);
    trace("resume " + h);
  }
  void monitor(const std::string& h, const std::string& r, bool healthy) {
    Host& x = hosts_[h];
    if (healthy) x.failing_rules.erase(r);
    else x.failing_rules.insert(r);
    if (!agent_alive(x) || !x.link_ctrl) return;  // the agent re-reports when reconnected
    deliver_to_controller([this, h, r, healthy] {
      apply(rules::MonitorReport{h, r, healthy, healthy ? "recovered" : "check failed", now_});
    });
  }

  // ------------------------------------------------------------ agents
  bool agent_alive(const Host& x) const { return x.kernel_up && x.agent_running && !x.paused; }

  void agents_step() {
    for (auto& [id, x] : hosts_) {
      if (x.kernel_up && !x.agent_running && x.agent_back_at && now_ >= x.agent_back_at) {
        x.agent_running = true;
        x.agent_back_at = 0;
      }
      // The isolation check belongs to the agent's lease keeper, a separate process
      // that reads the agent's last-contact stamp: it keeps working while the agent
      // is stopped (SIGSTOP) or restarting.
      if (x.kernel_up) isolation_check(x);
    }
  }

  void isolation_check(Host& x) {
    const bool in_contact = now_ - x.last_contact <= settings().isolation_timeout_ms;
    if (!x.held.empty() && !in_contact && !x.client_net) {
      trace("isolated " + x.id + " releases " + std::to_string(x.held.size()));
      x.held.clear();
    }
  }

  void heartbeats() {
    if (now_ % settings().heartbeat_interval_ms != 0) return;
    for (auto& [id, x] : hosts_) {
      if (!agent_alive(x)) continue;
      const TimeMs d = rnd(1, 20);
      if (x.link_ctrl && controller_up_) {
        std::string hid = id;
        at_time(now_ + d, [this, hid] { controller_heard(hid); });
        at_time(now_ + 2 * d, [this, hid] {
          Host& h = hosts_[hid];
          if (agent_alive(h) && h.link_ctrl) h.last_contact = std::max(h.last_contact, now_);
        });
      }
      if (x.link_arb && arbiter_up_) {
        std::string hid = id;
        at_time(now_ + d, [this, hid] { arbiter_heard_[hid] = now_; });
        // The arbiter's ack extends the agent's lease unless the arbiter has told the
        // controller it lost this node (then the controller may already be moving it).
        at_time(now_ + 2 * d, [this, hid] {
          Host& h = hosts_[hid];
          if (agent_alive(h) && h.link_arb && arbiter_up_ && !arbiter_fenced_.count(hid))
            h.last_contact = std::max(h.last_contact, now_);
        });
      }
    }
  }

  void agent_execute(const rules::AgentCommand& c) {
    const bool acquire = c.acquire;
    const auto& node = c.node;
    const auto& rule = c.rule;
    const uint64_t epoch = c.epoch;
    const uint64_t id = c.action_id;
    const auto& vips = c.vips;
    Host& x = hosts_[node];
    if (!agent_alive(x) || !x.link_ctrl) return;  // lost; the controller times it out
    if (x.epoch_seen[rule] > epoch) {
      trace("stale epoch dropped on " + node);
      return;
    }
    x.epoch_seen[rule] = epoch;
    x.last_contact = std::max(x.last_contact, now_);
    if (x.done_actions.count(id)) return;
    x.done_actions.insert(id);
    if (!acquire) {
      for (const auto& v : vips) x.held.erase(v.cidr);
      const bool ok = !x.fail_release;
      reply(id, node, ok ? rules::ActionOutcome::Ok : rules::ActionOutcome::Failed, true, rnd(5, 50));
      return;
    }
    // Probe first (after kProbeMs), then add, then the script.
    std::string n = node, r = rule;
    std::vector<rules::VipSpec> vs = vips;
    at_time(now_ + kProbeMs, [this, n, r, vs, id] {
      Host& h = hosts_[n];
      if (!agent_alive(h)) return;
      for (const auto& v : vs)
        if (answered_elsewhere(v.cidr, n)) {
          reply(id, n, rules::ActionOutcome::Conflict, true, 1);
          return;
        }
      for (const auto& v : vs) h.held[v.cidr] = r;
      const TimeMs script = rnd(5, 100);
      at_time(now_ + script, [this, n, vs, id] {
        Host& h2 = hosts_[n];
        if (!agent_alive(h2)) return;
        if (h2.fail_acquire) {
          for (const auto& v : vs) h2.held.erase(v.cidr);
          reply(id, n, rules::ActionOutcome::Failed, true, 1);
        } else {
          reply(id, n, rules::ActionOutcome::Ok, true, 1);
        }
      });
    });
  }

  bool answered_elsewhere(const std::string& vip, const std::string& self) {
    if (foreign_.count(vip)) return true;
    for (const auto& [id, h] : hosts_)
      if (id != self && h.kernel_up && h.client_net && h.held.count(vip)) return true;
    return false;
  }

  void reply(uint64_t id, const std::string& node, rules::ActionOutcome outcome, bool removed, TimeMs after) {
    at_time(now_ + after, [this, id, outcome, removed, node] {
      const Host& x = hosts_[node];
      if (!x.link_ctrl || !agent_alive(x) || !controller_up_) return;
      if (!outstanding_.count(id)) return;
      outstanding_.erase(id);
      apply(rules::ActionResult{id, node, outcome, removed, "sim", now_});
    });
  }

  // ------------------------------------------------------------ controller & arbiter
  const rules::Settings& settings() const { return engine_.state().settings; }

  void deliver_to_controller(std::function<void()> fn) { at_time(now_ + rnd(1, 20), std::move(fn)); }

  void controller_heard(const std::string& h) {
    if (!controller_up_) return;
    Host& x = hosts_[h];
    std::vector<std::string> held;
    for (auto& [v, r] : x.held) held.push_back(v);
    const auto& ns = engine_.state().nodes.at(h);
    bool news = tracker_.heard(h, now_);
    std::set<std::string> held_set(held.begin(), held.end());
    if (news || held_set != ns.held_vips || ns.liveness != rules::Liveness::Up) {
      arbiter_fenced_.erase(h);  // the controller hears it again: it decides from here
      const uint64_t done = x.done_actions.empty() ? 0 : *x.done_actions.rbegin();
      apply(rules::NodeReachable{h, now_, {x.subnet}, held, done});
      // A reconnecting agent re-reports monitors that changed while it was away.
      const std::set<std::string> known = engine_.state().nodes.at(h).failing_rules;
      for (const auto& r : x.failing_rules)
        if (!known.count(r)) apply(rules::MonitorReport{h, r, false, "still failing", now_});
      for (const auto& r : known)
        if (!x.failing_rules.count(r)) apply(rules::MonitorReport{h, r, true, "recovered", now_});
    }
  }

  void controller_tick() {
    if (!controller_up_) return;
    for (const auto& lost : tracker_.expire(now_)) apply(lost);
    for (auto it = outstanding_.begin(); it != outstanding_.end();) {
      if (now_ >= it->second) {
        uint64_t id = it->first;
        it = outstanding_.erase(it);
        apply(rules::ActionResult{id, "", rules::ActionOutcome::TimedOut, false, "no answer", now_});
      } else {
        ++it;
      }
    }
    apply(rules::Tick{now_, 600});
  }

  void restart_controller() {
    // Only the persisted state survives: rebuild the engine from its JSON (as from
    // SQLite) and check nothing acknowledged was lost (design §6.2).
    const std::string before = rules::to_json(engine_.state()).dump();
    auto restored = rules::state_from_json(rules::Json::parse(before));
    if (!restored.ok() || rules::to_json(*restored).dump() != before) {
      violation("6.2 state did not survive a controller restart");
      return;
    }
    engine_ = rules::Engine(*restored);
    if (opt_.record) opt_.record->push_back(rules::Json{{"restart", true}});
    tracker_ = rules::LivenessTracker(settings().suspect_after_ms);
    outstanding_.clear();
    for (const auto& [id, n] : engine_.state().nodes)
      if (n.liveness == rules::Liveness::Up) tracker_.assume_up(id, now_);
    trace("controller restarted");
    for (const auto& a : engine_.in_flight_actions()) send(a);
    // A restarted controller has not yet heard anyone; the arbiter keeps its fences.
  }

  void consult_arbiter(const std::string& node) {
    const bool up = arbiter_up_;
    const TimeMs d = rnd(1, 30);
    at_time(now_ + d, [this, node, up] {
      auto it = arbiter_heard_.find(node);
      TimeMs last = it == arbiter_heard_.end() ? 0 : it->second;
      if (!up || !arbiter_up_) {
        apply(rules::ArbiterView{node, now_, false, false, 0});
        return;
      }
      const bool sees = now_ - last < settings().suspect_after_ms;
      if (!sees) arbiter_fenced_.insert(node);
      apply(rules::ArbiterView{node, now_, true, sees, last});
    });
  }

  void operator_cmd(const rules::Event& e) {
    if (!controller_up_) return;
    apply(e);
  }

  void send(const rules::Action& a) {
    if (auto* c = std::get_if<rules::ConsultArbiter>(&a)) {
      consult_arbiter(c->node);
      return;
    }
    auto cmd = rules::agent_command(a);
    if (!cmd) return;
    ++report_.actions_sent;
    check_epoch(*cmd);
    outstanding_[cmd->action_id] = now_ + kActionTimeout;
    at_time(now_ + rnd(1, 20), [this, c = *cmd] { agent_execute(c); });
  }

  void apply(const rules::Event& e) {
    // design §6.4: a failover for a node starts only if the arbiter did not see it.
    std::set<uint64_t> before;
    for (const auto& [id, t] : engine_.state().transitions) before.insert(id);
    rules::Decision d = engine_.apply(e);
    if (opt_.record) {
      opt_.record->push_back(rules::Json{{"event", rules::to_json(e)}});
      for (const auto& a : d.actions) report_.engine_actions.push_back(rules::to_json(a).dump());
    }
    if (opt_.verbose) trace(std::string("event ") + rules::to_json(e).dump());
    for (const auto& [id, t] : engine_.state().transitions) {
      if (before.count(id) || t.reason != rules::TransitionReason::NodeFailed) continue;
      auto it = arbiter_heard_.find(t.from);
      const bool arbiter_sees = arbiter_up_ && it != arbiter_heard_.end() &&
                                now_ - it->second < settings().suspect_after_ms / 2;
      if (arbiter_sees && std::holds_alternative<rules::ArbiterView>(e) && std::get<rules::ArbiterView>(e).arbiter_reachable)
        violation("6.4 failover of " + t.from + " started while the arbiter hears it");
      failover_started_[t.rules.front()] = now_;
    }
    for (const auto& a : d.actions) {
      if (opt_.verbose) trace("  -> " + rules::to_json(a).dump());
      send(a);
    }
  }

  void check_epoch(const rules::AgentCommand& c) {
    uint64_t& last = max_epoch_[c.rule];
    if (c.epoch + 1 < last && c.acquire)
      violation("6.3 rule " + c.rule + " acquire with epoch " + std::to_string(c.epoch) + " after " + std::to_string(last));
    last = std::max(last, c.epoch);
  }

  // ------------------------------------------------------------ invariants
  void violation(const std::string& what) {
    report_.violations.push_back("t=" + std::to_string(now_) + "ms " + what);
  }

  void check_invariants() {
    std::map<std::string, std::vector<std::string>> holders;
    std::map<std::string, std::set<std::string>> units_on;
    for (const auto& [id, h] : hosts_) {
      if (!h.kernel_up) continue;
      for (const auto& [vip, rule] : h.held) {
        holders[vip].push_back(id);
        auto rit = engine_.state().rules.find(rule);
        if (rit != engine_.state().rules.end()) units_on[id].insert(rules::unit_key(rit->second.spec));
      }
    }
    for (const auto& [vip, hs] : holders)
      if (hs.size() > 1) violation("6.1 VIP " + vip + " held by " + hs[0] + " and " + hs[1]);
    for (const auto& [id, units] : units_on)
      if (static_cast<int>(units.size()) > hosts_[id].capacity)
        violation("6.6 node " + id + " hosts " + std::to_string(units.size()) + " units, capacity " + std::to_string(hosts_[id].capacity));
    auto occ = rules::compute_occupancy(engine_.state());
    for (const auto& [id, n] : engine_.state().nodes) {
      auto it = occ.hosted.find(id);
      if (it != occ.hosted.end() && it->second > n.spec.capacity) violation("6.6 engine over capacity on " + id);
    }
    // Failover time: from the rule's failover start to its VIP being held again.
    for (auto it = failover_started_.begin(); it != failover_started_.end();) {
      const auto& r = engine_.state().rules.at(it->first);
      if (r.phase == rules::RulePhase::Running && holders.count(r.spec.vips.front().cidr)) {
        ++report_.takeovers;
        report_.max_failover_ms = std::max(report_.max_failover_ms, now_ - it->second);
        it = failover_started_.erase(it);
      } else if (r.phase != rules::RulePhase::Switching) {
        it = failover_started_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // After the faults end and everything is healed: every rule runs exactly once, on
  // the node the engine names, within the settle period (design §6.5).
  void final_check() {
    if (!report_.violations.empty()) return;
    for (const auto& [id, r] : engine_.state().rules) {
      const auto& vip = r.spec.vips.front().cidr;
      std::vector<std::string> hs;
      for (const auto& [hid, h] : hosts_)
        if (h.kernel_up && h.held.count(vip)) hs.push_back(hid);
      if (r.phase == rules::RulePhase::Unplaced && hs.empty()) {
        // design §6.5 applies only when some node could take it (fixed targets and
        // capacity may legitimately leave a rule down).
        auto occ = rules::compute_occupancy(engine_.state());
        auto unit = rules::unit_of(engine_.state(), id);
        if (rules::rank_candidates(engine_.state(), occ, {unit, "", "", {}, true}).empty()) continue;
      }
      if (r.phase != rules::RulePhase::Running || hs.size() != 1 || hs[0] != r.primary)
        violation("6.5 after settling rule " + id + " is " + rules::to_string(r.phase) + " on '" + r.primary +
                  "', held by " + std::to_string(hs.size()) + " host(s)" + (hs.empty() ? "" : " first " + hs[0]));
    }
  }

 // The on-call operator: admin-wait exists to hand a rule to a person; during the
 // fault-free tail one looks every 5 s and resumes it.
  void operator_resumes_admin_wait() {
    for (const auto& [id, r] : std::map<std::string, rules::RuleState>(engine_.state().rules))
      if (r.phase == rules::RulePhase::AdminWait) apply(rules::Resume{id, now_});
  }

 public:
  void heal_at(TimeMs t) {
    at_time(t, [this] {
      settling_ = true;
      arbiter_up_ = true;
      controller_up_ = true;
      foreign_.clear();
      for (auto& [id, x] : hosts_) {
        if (!x.kernel_up) boot(id);
        if (x.paused) resume(id);
        x.agent_running = true;
        set_links(id, true, true, true);
        x.fail_acquire = x.fail_release = false;
        for (const auto& r : std::set<std::string>(x.failing_rules)) monitor(id, r, true);
      }
      for (const auto& [id, n] : engine_.state().nodes)
        if (n.maintenance) apply(rules::SetMaintenance{id, false, now_});
      for (const auto& [id, r] : std::map<std::string, rules::RuleState>(engine_.state().rules)) {
        if (r.frozen) apply(rules::Freeze{id, "", false});
        if (r.phase == rules::RulePhase::AdminWait) apply(rules::Resume{id, now_});
      }
    });
  }

 private:
  SimOptions opt_;
  std::mt19937_64 rng_;
  TimeMs now_ = 0;
  uint64_t seq_ = 0;
  bool settling_ = false;
  bool controller_up_ = true;
  bool arbiter_up_ = true;
  rules::Engine engine_;
  rules::LivenessTracker tracker_;
  std::map<std::string, Host> hosts_;
  std::map<std::string, TimeMs> arbiter_heard_;
  std::map<uint64_t, TimeMs> outstanding_;
  std::map<std::string, uint64_t> max_epoch_;
  std::map<std::string, TimeMs> failover_started_;
  std::set<std::string> foreign_;
  std::set<std::string> arbiter_fenced_;  // nodes the arbiter reported lost
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue_;
  SimReport report_;
};

}  // namespace

SimReport run_simulation(const SimOptions& opt) {
  Sim sim(opt);
  sim.heal_at(opt.duration_ms);
  return sim.run();
}

}  // namespace poolha::sim
