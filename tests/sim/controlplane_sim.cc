#include "tests/sim/controlplane_sim.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>

#include "arbiter/witness.h"
#include "controller_core/arbiter_steward.h"
#include "consensus/raft.h"
#include "consensus/ready_step.h"
#include "controller_core/controller_core.h"
#include "controller_core/leadership.h"
#include "rules/json_codec.h"

namespace poolha::sim {

using consensus::Entry;
using consensus::EntryKind;
using consensus::MemberId;
using consensus::MemberRole;
using rules::TimeMs;

namespace {

constexpr TimeMs kTickMs = 50;             // the driver's Raft tick
constexpr TimeMs kCoreTimerMs = 100;       // the controller core's timer
constexpr TimeMs kConsultTimeoutMs = 500;  // ArbiterLink's answer time limit
constexpr TimeMs kProbeMs = 150;           // ARP probe wait on acquire
constexpr TimeMs kArbiterQuietMs = 1200;   // witness: no answers right after start
constexpr uint64_t kSnapshotEvery = 150;
constexpr TimeMs kReplaceArbiterAfterMs = 1500;  // poolha-controller's default   // small, so snapshots and catch-up by snapshot happen

struct Timed {
  TimeMs at;
  uint64_t seq;
  std::function<void()> fn;
  bool operator>(const Timed& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

// What a member's SQLite file would hold (only what a Ready said to persist).
struct Disk {
  consensus::HardState hs;
  std::optional<consensus::Snapshot> snapshot;
  std::vector<Entry> entries;
};

struct Host {
  std::string id;
  int capacity = 1;
  bool kernel_up = true;
  bool agent_paused = false;
  bool client_net = true;  // on the clients' network; can reach its isolation address
  TimeMs last_contact = 0;  // newest send time of a heartbeat a member answered
  std::map<std::string, std::string> held;  // vip -> rule
  std::map<std::string, uint64_t> epoch_seen;
  std::map<uint64_t, rules::ActionOutcome> done;  // action id -> its result (answered again on repeats)
  uint64_t newest_done = 0;
  std::set<std::string> failing_rules;
  uint64_t hb_seq = 0;
};

class Sim;

struct Member;

// The member's log: the consensus core, proposals as side-table references (the
// real driver encodes events as JSON; the codec has its own tests).
class SimLog : public controller::ReplicatedLog {
 public:
  SimLog(Sim& sim, Member& m) : sim_(sim), m_(m) {}
  Expected<uint64_t> propose(const controller::LogEntry& e) override;
  void compact(uint64_t index, const controller::CoreSnapshot& state) override;

 private:
  Sim& sim_;
  Member& m_;
};

class SimOutbox : public controller::Outbox {
 public:
  SimOutbox(Sim& sim, Member& m) : sim_(sim), m_(m) {}
  bool send_command(const controller::NodeId& node, const wire::Command& c) override;
  void send_role(const controller::NodeId&, const wire::RoleAssignment&) override {}
  void consult_arbiter(const controller::NodeId& node) override;
  void arbiter_heard(const controller::NodeId& node) override;
  bool grant_vouching() override;

 private:
  Sim& sim_;
  Member& m_;
};

struct Member {
  MemberId id;
  MemberRole role = MemberRole::Controller;
  bool up = true;
  bool paused = false;
  bool crash_at_next_ready = false;
  double rate = 1.0;  // local clock speed
  TimeMs offset = 0;  // local clock at sim time 0
  TimeMs boot_local = 0;
  uint64_t ticks_done = 0;
  TimeMs next_core_timer_local = 0;
  Disk disk;
  std::unique_ptr<consensus::Raft> raft;
  std::unique_ptr<store::SqliteDb> db;
  std::unique_ptr<controller::EventHistory> history;
  std::unique_ptr<SimLog> log;
  std::unique_ptr<SimOutbox> out;
  std::unique_ptr<controller::ControllerCore> core;
  std::unique_ptr<controller::Leadership> leadership;
  std::unique_ptr<arbiter::Witness> witness;
  std::map<uint64_t, std::pair<std::string, TimeMs>> consults;  // id -> (node, deadline local)
};

class Sim {
 public:
  explicit Sim(const ControlPlaneOptions& o) : opt_(o), rng_(o.seed) {}

  ControlPlaneReport run() {
    build();
    schedule_faults();
    at(opt_.duration_ms, [this] { heal(); });
    const TimeMs end = opt_.duration_ms + opt_.settle_ms;
    while (!queue_.empty() && report_.violations.empty()) {
      Timed t = queue_.top();
      if (t.at > end) break;
      queue_.pop();
      now_ = t.at;
      t.fn();
      check_step();
    }
    now_ = end;
    if (report_.violations.empty()) final_check();
    return report_;
  }

  // ------------------------------------------------------------ shared helpers
  TimeMs local(const Member& m) const { return m.offset + static_cast<TimeMs>(static_cast<double>(now_) * m.rate); }
  int rnd(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  void at(TimeMs t, std::function<void()> fn) { queue_.push({t, seq_++, std::move(fn)}); }
  void trace(const std::string& s) {
    if (opt_.verbose) report_.trace.push_back(std::to_string(now_) + " " + s);
  }
  void violation(const std::string& s) { report_.violations.push_back("t=" + std::to_string(now_) + "ms " + s); }
  Member& member(const MemberId& id) { return *members_.at(id); }
  bool alive(const Member& m) const { return m.up && !m.paused; }

  std::string store_event(const controller::LogEntry& e) {
    events_.push_back(e);
    return std::to_string(events_.size() - 1);
  }

  // The network between two parties ("ctl-a", "n1", ...). A message is lost when the
  // link is cut (either direction separately) or by chance; it may be duplicated;
  // delays are random, so messages reorder.
  void send(const std::string& from, const std::string& to, std::function<void()> deliver) {
    if (cut_.count({from, to}) || chance(loss_)) return;
    at(now_ + rnd(1, 15), deliver);
    if (chance(dup_)) at(now_ + rnd(1, 40), std::move(deliver));
  }
  bool link_up(const std::string& a, const std::string& b) const { return !cut_.count({a, b}); }

  // ------------------------------------------------------------ members (the driver)
  void boot_member(Member& m) {
    m.up = true;
    m.paused = false;
    m.boot_local = local(m);
    m.ticks_done = 0;
    m.next_core_timer_local = m.boot_local + kCoreTimerMs;
    consensus::Recovered rec{m.disk.hs, m.disk.snapshot, m.disk.entries, membership_};
    consensus::RaftOptions ro;
    ro.id = m.id;
    ro.seed = opt_.seed * 131 + restarts_++;
    m.raft = std::make_unique<consensus::Raft>(ro, rec);
    m.db = std::move(*store::SqliteDb::open(":memory:"));
    m.history = std::move(*controller::EventHistory::open(*m.db));
    m.log = std::make_unique<SimLog>(*this, m);
    m.out = std::make_unique<SimOutbox>(*this, m);
    m.core = std::make_unique<controller::ControllerCore>(*m.log, *m.history, *m.out, settings_);
    m.leadership = std::make_unique<controller::Leadership>(m.id);
    m.core->set_snapshot_every(kSnapshotEvery);
    if (m.disk.snapshot) restore_core(m, *m.disk.snapshot);
    m.consults.clear();
    if (m.role == MemberRole::Arbiter) {
      m.witness = std::make_unique<arbiter::Witness>(settings_.suspect_after_ms, local(m), kArbiterQuietMs);
      std::erase_if(arbiter_heard_, [&](const auto& kv) { return kv.first.first == m.id; });  // a new, empty witness
    }
    trace("boot " + m.id);
    service(m);
  }

  void restore_core(Member& m, const consensus::Snapshot& s) {
    auto st = controller::snapshot_from_json(rules::Json::parse(s.data));
    if (!st.ok()) return violation("snapshot of " + m.id + " does not decode: " + st.error());
    m.core->restore(*st, s.meta.index);
  }

  void crash_member(Member& m, bool lose_unsynced) {
    if (!m.up) return;
    if (lose_unsynced && m.raft->has_ready()) {
      m.crash_at_next_ready = true;  // the batch in flight never reaches the disk
      service(m);
      return;
    }
    if (m.role == MemberRole::Arbiter && m.raft->membership().is_voter(m.id) && arbiter_lost_at_ < 0) arbiter_lost_at_ = now_;
    m.up = false;
    m.paused = false;
    m.raft.reset();
    m.core.reset();
    m.leadership.reset();
    m.log.reset();
    m.out.reset();
    m.history.reset();
    m.db.reset();
    m.witness.reset();
    trace("crash " + m.id + (lose_unsynced ? " (unsynced writes lost)" : ""));
  }

  // Catches up ticks from the member's own clock (a woken member sees all the time
  // that passed, so a stale lease is noticed before anything else happens), then
  // runs Ready batches and leadership changes until quiet.
  void service(Member& m) {
    if (!alive(m)) return;
    const uint64_t due = static_cast<uint64_t>((local(m) - m.boot_local) / kTickMs);
    if (m.ticks_done < due) {
      m.raft->catch_up(due - m.ticks_done);  // as ConsensusNode::catch_up does
      m.ticks_done = due;
    }
    for (int i = 0; i < 50 && m.up; ++i) {
      const bool a = process_ready(m);
      const bool b = m.up && update_leadership(m);
      if (!a && !b) break;
    }
  }

  // The driver's Ready step (consensus/ready_step.h, as ConsensusNode runs it) over
  // this member's simulated disk and network, with the checkers around its apply.
  bool process_ready(Member& m) {
    size_t unsaved = 0;
    const consensus::ReadySteps steps{
        [&](const consensus::Ready& r) {
          if (m.crash_at_next_ready) {
            unsaved = r.entries.size();
            return Status::Error("crash before the batch reached the disk");
          }
          if (r.snapshot) {
            m.disk.snapshot = r.snapshot;
            m.disk.entries.clear();
          }
          if (!r.entries.empty()) {
            std::erase_if(m.disk.entries, [&](const Entry& e) { return e.index >= r.entries.front().index; });
            m.disk.entries.insert(m.disk.entries.end(), r.entries.begin(), r.entries.end());
          }
          if (r.hard_state) m.disk.hs = *r.hard_state;
          return Status::Ok();
        },
        [&](const consensus::Message& msg) {
          const MemberId to = msg.to;
          send(m.id, to, [this, to, msg] { deliver_raft(to, msg); });
        },
        [&](const consensus::Snapshot& snap) {
          ++report_.snapshots_installed;
          restore_core(m, snap);
        },
        [&](const Entry& e) { apply_checked(m, e); },
    };
    auto ran = consensus::run_ready_step(*m.raft, steps);
    if (!ran.ok()) {
      m.crash_at_next_ready = false;
      crash_member(m, false);
      trace("  (" + std::to_string(unsaved) + " entries never persisted)");
      return false;
    }
    return *ran;
  }

  void apply_checked(Member& m, const Entry& e) {
    check_committed(m, e);
    if (opt_.verbose && e.kind == EntryKind::Command && m.core->acting() &&
        !(events_.at(std::stoull(e.data)).event() &&
          std::holds_alternative<rules::Tick>(*events_.at(std::stoull(e.data)).event())))
      trace("  " + m.id + " applies " + controller::to_json(events_.at(std::stoull(e.data))).dump());
    if (e.kind != EntryKind::Command) return;
    const controller::LogEntry& entry = events_.at(std::stoull(e.data));
    const bool check = failover_checked_.insert(e.index).second;  // once per entry: every member applies it
    std::set<uint64_t> before;
    const bool arbiter_known_down = !m.core->state().arbiter_reachable;
    if (check)
      for (const auto& [id, t] : m.core->state().transitions) before.insert(id);
    m.core->apply_committed(e.index, e.term, entry, local(m));
    if (check && entry.event()) check_failover_cause(*entry.event(), e.term, before, arbiter_known_down, m);
  }

  bool update_leadership(Member& m) {
    if (m.role != MemberRole::Controller) return false;
    const auto change = m.leadership->update(*m.raft, *m.core, local(m));  // the daemon's code
    if (m.raft->is_leader()) {
      auto [it, fresh] = leaders_.try_emplace(m.raft->term(), m.id);
      if (fresh) {
        ++report_.elections;
        trace("leader " + m.id + " term " + std::to_string(m.raft->term()));
        check_leader_completeness(m);
      } else if (it->second != m.id) {
        violation("election safety: term " + std::to_string(m.raft->term()) + " has leaders " + it->second + " and " + m.id);
      }
    }
    return change.acting_changed || m.raft->has_ready();
  }

  void deliver_raft(const MemberId& to, const consensus::Message& msg) {
    Member& m = member(to);
    if (!alive(m)) return;
    service(m);
    m.raft->step(msg);
    service(m);
  }

  void member_timer(const MemberId& id) {
    Member& m = member(id);
    at(now_ + kTickMs, [this, id] { member_timer(id); });
    if (!alive(m)) return;
    service(m);
    const TimeMs l = local(m);
    if (m.role == MemberRole::Controller && l >= m.next_core_timer_local) {
      m.next_core_timer_local = l + kCoreTimerMs;
      m.core->on_timer(l, 600);
      service(m);
      steward(m);
    }
    // Consults that got no answer in time: the arbiter counts as unreachable.
    for (auto it = m.consults.begin(); it != m.consults.end();) {
      if (l >= it->second.second) {
        const std::string node = it->second.first;
        it = m.consults.erase(it);
        m.core->on_arbiter_answer(node, false, false, -1, l);
        service(m);
      } else {
        ++it;
      }
    }
  }

  // ------------------------------------------------------------ arbiter side
  // The arbiter a controller talks to: the voting one in its own view of the
  // membership (after a replacement, the promoted standby).
  MemberId arbiter_of(const Member& from) const {
    for (const auto& [id, role] : from.raft->membership().voters)
      if (role == MemberRole::Arbiter) return id;
    return "arb-1";
  }

  void consult(Member& from, const std::string& node) {
    const uint64_t qid = next_query_++;
    from.consults[qid] = {node, local(from) + kConsultTimeoutMs};
    const MemberId fid = from.id, aid = arbiter_of(from);
    send(fid, aid, [this, fid, aid, node, qid] {
      Member& a = member(aid);
      if (!alive(a)) return;
      const bool was_fenced = a.witness->fenced(node);
      const arbiter::WitnessAnswer ans = a.witness->query(node, local(a));
      // design §6.4, first half: the arbiter never says "not seen" about a node whose
      // heartbeats it received within half the suspect time (unless it had fenced
      // the node after an earlier, true, "not seen": then a failover is under way).
      auto heard = arbiter_heard_.find({aid, node});
      if (!ans.sees && !was_fenced && heard != arbiter_heard_.end() &&
          now_ - heard->second < settings_.suspect_after_ms / 2)
        violation("6.4 " + aid + " answered 'not seen' for " + node + ", heard " + std::to_string(now_ - heard->second) +
                  " ms ago");
      send(aid, fid, [this, fid, node, qid, ans] {
        Member& c = member(fid);
        if (!alive(c) || !c.consults.erase(qid)) return;
        witness_said_[{fid, node}] = ans.sees;  // the answer this controller turns into an ArbiterView
        c.core->on_arbiter_answer(node, true, ans.sees, ans.ms_since_heard, local(c));
        service(c);
      });
    });
  }

  void to_arbiter(Member& from, std::function<void(Member&)> fn) {
    const MemberId aid = arbiter_of(from);
    send(from.id, aid, [this, aid, fn] {
      Member& a = member(aid);
      if (alive(a)) fn(a);
    });
  }

  // The acting controller replaces a lost arbiter with the standby (and re-adds the
  // old one as standby when it is back), as poolha-controller does.
  void steward(Member& m) {
    if (!m.core->acting()) return;
    std::vector<controller::PeerView> peers;
    for (const auto& [id, other] : members_) peers.push_back({id, other->role, other->up && link_up(m.id, id)});
    // The daemon's own glue (controller_core/arbiter_steward.h), not a copy.
    const auto change = controller::next_arbiter_step(*m.raft, peers, kReplaceArbiterAfterMs / kTickMs);
    if (!change) return;
    if (auto r = m.raft->propose_membership(*change); r.ok()) {
      trace("membership: " + consensus::describe(*change) + " by " + m.id);
      if (change->kind == consensus::MembershipChange::Kind::Promote && arbiter_lost_at_ >= 0) {
        report_.arbiter_replacement_ms.push_back(now_ - arbiter_lost_at_);
        arbiter_lost_at_ = -1;
      }
      service(m);
    }
  }

  // ------------------------------------------------------------ agents
  bool agent_alive(const Host& h) const { return h.kernel_up && !h.agent_paused; }

  void host_heartbeats(const std::string& hid) {
    at(now_ + settings_.heartbeat_interval_ms, [this, hid] { host_heartbeats(hid); });
    Host& h = hosts_.at(hid);
    if (!agent_alive(h)) return;
    wire::Heartbeat hb;
    hb.set_seq(++h.hb_seq);
    for (const auto& [vip, rule] : h.held) hb.add_held_vips(vip);
    hb.set_actions_done(h.newest_done);
    hb.add_subnets("198.18.1.0/24");
    for (const auto& r : h.failing_rules) {
      auto* ms = hb.add_monitors();
      ms->set_name("check");
      ms->set_rule(r);
      ms->set_healthy(false);
      ms->set_detail("failing");
    }
    const TimeMs sent = now_;
    for (auto& [mid, mp] : members_) {
      const MemberId to = mid;
      send(hid, to, [this, hid, to, hb, sent] {
        Member& m = member(to);
        if (!alive(m)) return;
        bool answer = false;
        if (m.role == MemberRole::Controller) {
          service(m);
          m.core->on_heartbeat(hid, hb, local(m));
          answer = m.core->vouching();
          service(m);
        } else {
          // Ground truth for design §6.4: heartbeats this witness counts (a fenced node's do
          // not count until a controller lifts the fence; a full table records none).
          const bool counts = !m.witness->fenced(hid);
          answer = m.witness->heard(hid, local(m));  // only under a current grant
          if (counts && m.witness->tracked_node(hid)) arbiter_heard_[{to, hid}] = now_;
        }
        if (!answer) return;
        send(to, hid, [this, hid, sent] {
          Host& x = hosts_.at(hid);
          if (agent_alive(x)) x.last_contact = std::max(x.last_contact, sent);
        });
      });
    }
  }

  // The agent's separate keeper process, which polls every 50 ms (as
  // poolha-lease-keeper does); it also works while the agent is paused.
  void lease_keeper(const std::string& hid) {
    at(now_ + 50, [this, hid] { lease_keeper(hid); });
    Host& h = hosts_.at(hid);
    if (!h.kernel_up || h.held.empty() || h.client_net) return;
    if (now_ - h.last_contact > settings_.isolation_timeout_ms) {
      trace("isolated " + h.id + " releases its VIPs");
      h.held.clear();
    }
  }

  void agent_command(const MemberId& from, const std::string& hid, const wire::Command& c) {
    Host& h = hosts_.at(hid);
    trace(std::string(c.kind() == wire::Command::ACQUIRE ? "acquire " : "release ") + c.rule() + " on " + hid + " from " +
          from + " (action " + std::to_string(c.action_id()) + ", epoch " + std::to_string(c.epoch()) + ")" +
          (agent_alive(h) ? "" : " - agent not running"));
    if (!agent_alive(h)) return;
    if (h.epoch_seen[c.rule()] > c.epoch()) return;  // stale: an older decision
    h.epoch_seen[c.rule()] = c.epoch();
    if (auto d = h.done.find(c.action_id()); d != h.done.end()) return reply(from, hid, c.action_id(), d->second);
    if (c.kind() == wire::Command::RELEASE) {
      for (const auto& v : c.vips()) h.held.erase(v.cidr());
      finish(from, hid, c.action_id(), rules::ActionOutcome::Ok);
      return;
    }
    at(now_ + kProbeMs, [this, from, hid, c] {
      Host& x = hosts_.at(hid);
      if (!agent_alive(x)) return;
      for (const auto& v : c.vips())
        if (answered_elsewhere(v.cidr(), hid)) return finish(from, hid, c.action_id(), rules::ActionOutcome::Conflict);
      for (const auto& v : c.vips()) x.held[v.cidr()] = c.rule();
      trace("  " + hid + " holds " + c.rule());
      finish(from, hid, c.action_id(), rules::ActionOutcome::Ok);
    });
  }

  void finish(const MemberId& from, const std::string& hid, uint64_t id, rules::ActionOutcome o) {
    Host& h = hosts_.at(hid);
    h.done[id] = o;
    h.newest_done = std::max(h.newest_done, id);
    reply(from, hid, id, o);
  }

  void reply(const MemberId& to, const std::string& hid, uint64_t id, rules::ActionOutcome o) {
    send(hid, to, [this, to, hid, id, o] {
      Member& m = member(to);
      if (!alive(m)) return;
      wire::CommandResult r;
      r.set_action_id(id);
      r.set_outcome(o == rules::ActionOutcome::Ok ? wire::CommandResult::OK
                    : o == rules::ActionOutcome::Conflict ? wire::CommandResult::CONFLICT
                                                           : wire::CommandResult::FAILED);
      r.set_vips_removed(true);
      service(m);
      m.core->on_result(hid, r, local(m));
      service(m);
    });
  }

  bool answered_elsewhere(const std::string& vip, const std::string& self) const {
    for (const auto& [id, h] : hosts_)
      if (id != self && h.kernel_up && h.client_net && h.held.count(vip)) return true;
    return false;
  }

  // ------------------------------------------------------------ operators
  // An operator command sent to one member (the CLI follows redirects; a standby
  // refuses). Acknowledged commands are remembered and must never be lost.
  void operator_cmd(const MemberId& to, std::function<rules::Event(TimeMs)> make) {
    Member& m = member(to);
    if (!alive(m) || m.role != MemberRole::Controller) return;
    service(m);
    const rules::Event e = make(m.core->cluster_now(local(m)));
    const uint64_t before = m.core->log_index();
    const access::Actor by{.account = "sim-operator", .source = "sim", .at_ms = now_};
    m.core->operator_command(controller::LogEntry(e, by), [this, to, before, e](Status st) {
      trace("operator " + std::string(rules::event_name(e)) + " via " + to + ": " + (st.ok() ? "ok" : st.error()));
      if (!st.ok()) return;
      ++report_.acked_commands;
      acked_.push_back({member(to).core->log_index(), std::string(rules::event_name(e))});
      (void)before;
    });
    service(m);
  }

  MemberId acting_member() const {
    for (const auto& [id, m] : members_)
      if (m->up && !m->paused && m->core && m->core->acting()) return id;
    return "";
  }

  // ------------------------------------------------------------ set-up and faults
  void build() {
    settings_ = rules::Settings{};
    membership_.voters = {{"ctl-a", MemberRole::Controller}, {"ctl-b", MemberRole::Controller}, {"arb-1", MemberRole::Arbiter}};
    membership_.learners = {{"arb-2", MemberRole::Arbiter}};
    std::map<MemberId, MemberRole> all = membership_.voters;
    all.insert(membership_.learners.begin(), membership_.learners.end());
    for (const auto& [id, role] : all) {
      auto m = std::make_unique<Member>();
      m->id = id;
      m->role = role;
      m->rate = 1.0 + (rnd(-100, 100) / 100000.0);  // +-0.1 %
      m->offset = rnd(0, 1000000);
      members_[id] = std::move(m);
    }
    const int nhosts = rnd(3, 5), nrules = rnd(1, std::min(3, nhosts - 1));
    for (int i = 0; i < nhosts; ++i) {
      Host h;
      h.id = "n" + std::to_string(i);
      h.capacity = chance(0.3) ? 2 : 1;
      hosts_[h.id] = h;
    }
    for (auto& [id, m] : members_) boot_member(*m);
    for (auto& [id, m] : members_) {
      const MemberId mid = id;
      at(rnd(1, 50), [this, mid] { member_timer(mid); });
    }
    for (const auto& [id, h] : hosts_) {
      const std::string hid = id;
      at(rnd(1, 200), [this, hid] { host_heartbeats(hid); });
      at(rnd(1, 50), [this, hid] { lease_keeper(hid); });
    }
    // Configure through whichever controller acts, once one does (retried).
    configure_at(500, nhosts, nrules);
  }

  void configure_at(TimeMs t, int nhosts, int nrules) {
    at(t, [this, nhosts, nrules] {
      const MemberId a = acting_member();
      if (a.empty()) return configure_at(now_ + 200, nhosts, nrules);
      operator_cmd(a, [](TimeMs) { return rules::Event(rules::UpsertPool{rules::PoolSpec{"p1", 0.1, false}}); });
      for (int i = 0; i < nhosts; ++i)
        operator_cmd(a, [this, i](TimeMs) {
          rules::NodeSpec s;
          s.id = "n" + std::to_string(i);
          s.pool = "p1";
          s.capacity = hosts_.at(s.id).capacity;
          s.priority = 100 - i;
          return rules::Event(rules::UpsertNode{s});
        });
      for (int i = 0; i < nrules; ++i) {
        const bool local_takeover = chance(0.7), hold = chance(0.3);
        operator_cmd(a, [i, nhosts, local_takeover, hold](TimeMs now) {
          rules::RuleSpec r;
          r.id = "r" + std::to_string(i);
          r.pool = "p1";
          r.home = "n" + std::to_string(i % nhosts);
          r.vips = {{"198.18.1." + std::to_string(100 + i) + "/24", ""}};
          r.local_takeover = local_takeover;
          r.on_arbiter_down = hold ? rules::ArbiterDownPolicy::Hold : rules::ArbiterDownPolicy::Switch;
          return rules::Event(rules::UpsertRule{r, now});
        });
        rules_.push_back("r" + std::to_string(i));
      }
      if (rules_.empty() || member(a).core->state().rules.size() < static_cast<size_t>(nrules)) {
        rules_.clear();
        configure_at(now_ + 300, nhosts, nrules);  // not committed yet, or leadership moved: again
      }
    });
  }

  MemberId any_member() {
    auto it = members_.begin();
    std::advance(it, rnd(0, static_cast<int>(members_.size()) - 1));
    return it->first;
  }
  std::string any_host() { return "n" + std::to_string(rnd(0, static_cast<int>(hosts_.size()) - 1)); }

  void cut(const std::string& a, const std::string& b, bool both = true) {
    cut_.insert({a, b});
    if (both) cut_.insert({b, a});
  }
  void uncut(const std::string& a, const std::string& b) {
    cut_.erase({a, b});
    cut_.erase({b, a});
  }

  void schedule_faults() {
    for (int i = 0; i < opt_.faults; ++i) {
      const TimeMs t = rnd(1500, static_cast<int>(opt_.duration_ms));
      const TimeMs dur = rnd(2, 40) * 100;
      const MemberId mid = any_member();
      MemberId other = any_member();
      if (other == mid) other = mid == "ctl-a" ? "ctl-b" : "ctl-a";
      const std::string hid = any_host();
      switch (rnd(0, 13)) {
        case 0:
        case 1: {  // member crash, restart later
          const bool lose = chance(0.5);
          at(t, [this, mid, lose] { crash_member(member(mid), lose); });
          at(t + dur, [this, mid] {
            if (!member(mid).up) boot_member(member(mid));
          });
          break;
        }
        case 2:  // member paused (VM freeze): its clock jumps when it wakes
          at(t, [this, mid] {
            if (member(mid).up) member(mid).paused = true, trace("pause " + mid);
          });
          at(t + dur, [this, mid] { wake(mid); });
          break;
        case 3:  // two members partitioned from each other
          at(t, [this, mid, other] { cut(mid, other), trace("partition " + mid + " | " + other); });
          at(t + dur, [this, mid, other] { uncut(mid, other); });
          break;
        case 4:  // one-way: mid hears nothing from other
          at(t, [this, mid, other] { cut(other, mid, false), trace("one-way " + other + " -> " + mid + " cut"); });
          at(t + dur, [this, mid, other] { uncut(mid, other); });
          break;
        case 5:  // a member cut from everyone (members and agents)
          at(t, [this, mid] { isolate(mid, true); });
          at(t + dur, [this, mid] { isolate(mid, false); });
          break;
        case 6:  // host crash, boot later
          at(t, [this, hid] { host_crash(hid); });
          at(t + dur, [this, hid] { host_boot(hid); });
          break;
        case 7:  // host network down (also its isolation address), restored later
          at(t, [this, hid] { host_net(hid, false); });
          at(t + dur, [this, hid] { host_net(hid, true); });
          break;
        case 8:  // host cut from one member only
          at(t, [this, hid, mid] { cut(hid, mid), trace("cut " + hid + " | " + mid); });
          at(t + dur, [this, hid, mid] { uncut(hid, mid); });
          break;
        case 9:  // agent paused (SIGSTOP)
          at(t, [this, hid] { hosts_.at(hid).agent_paused = true, trace("agent paused " + hid); });
          at(t + dur, [this, hid] { hosts_.at(hid).agent_paused = false; });
          break;
        case 10:  // operator: switchover / failback / freeze, to any controller
          at(t, [this, mid] { random_operator_command(mid); });
          break;
        case 11:  // monitor failure on a host
          at(t, [this, hid] {
            if (!rules_.empty()) hosts_.at(hid).failing_rules.insert(rules_.front());
          });
          at(t + dur, [this, hid] { hosts_.at(hid).failing_rules.clear(); });
          break;
        case 12:  // lossy network for a while
          at(t, [this] { loss_ = rnd(5, 30) / 100.0, dup_ = rnd(0, 10) / 100.0; });
          at(t + dur, [this] { loss_ = 0, dup_ = 0; });
          break;
        default:  // both controllers restart together
          at(t, [this] {
            crash_member(member("ctl-a"), chance(0.5));
            crash_member(member("ctl-b"), chance(0.5));
          });
          at(t + rnd(1, 10) * 100, [this] {
            for (const char* c : {"ctl-a", "ctl-b"})
              if (!member(c).up) boot_member(member(c));
          });
          break;
      }
    }
  }

  void random_operator_command(const MemberId& mid) {
    if (rules_.empty()) return;
    if (try_override(mid)) return;
    const std::string r = rules_[rnd(0, static_cast<int>(rules_.size()) - 1)];
    switch (rnd(0, 3)) {
      case 0: operator_cmd(mid, [r](TimeMs now) { return rules::Event(rules::Switchover{r, "", false, now}); }); break;
      case 1: operator_cmd(mid, [r](TimeMs now) { return rules::Event(rules::Failback{r, now}); }); break;
      case 2: operator_cmd(mid, [r](TimeMs) { return rules::Event(rules::Freeze{r, "", true}); }); break;
      default: operator_cmd(mid, [r](TimeMs) { return rules::Event(rules::Freeze{r, "", false}); }); break;
    }
  }

  // The no-quorum override (design §3.3) where an operator would use it: every other
  // voter is down (not merely cut off), so this controller hears no leader. Admitted by
  // the daemon's own check (controller_core/leadership.h), carried out by the core's
  // override_switch, then committed when this controller acts again; the checkers run
  // as for everything else. No randomness is drawn unless it happens, so other seeds'
  // schedules are unchanged.
  bool try_override(const MemberId& mid) {
    Member& m = member(mid);
    if (!alive(m) || m.role != MemberRole::Controller || hosts_.empty()) return false;
    for (const auto& [id, role] : m.raft->membership().voters)
      if (id != mid && member(id).up) return false;
    service(m);
    if (!alive(m)) return false;
    const uint64_t election_ticks = static_cast<uint64_t>(consensus::RaftOptions{}.election_ticks);
    if (!controller::check_override_allowed(*m.raft, m.core->acting(), election_ticks).ok()) return false;
    const std::string r = rules_[rnd(0, static_cast<int>(rules_.size()) - 1)];
    auto h = hosts_.begin();
    std::advance(h, rnd(0, static_cast<int>(hosts_.size()) - 1));
    const Status st = m.core->override_switch(r, h->first, access::Actor{.account = "sim-operator", .source = "sim", .at_ms = now_}, local(m));
    trace("override " + r + " -> " + h->first + " via " + mid + ": " + (st.ok() ? "started" : st.error()));
    if (st.ok()) ++report_.overrides;
    service(m);
    return true;
  }

  void wake(const MemberId& mid) {
    Member& m = member(mid);
    if (!m.up || !m.paused) return;
    m.paused = false;
    trace("wake " + mid);
    service(m);
  }

  void isolate(const MemberId& mid, bool on) {
    std::vector<std::string> all;
    for (const auto& [id, m] : members_) all.push_back(id);
    for (const auto& [id, h] : hosts_) all.push_back(id);
    for (const auto& x : all)
      if (x != mid) on ? cut(mid, x) : uncut(mid, x);
    trace(std::string(on ? "isolate " : "reconnect ") + mid);
  }

  void host_crash(const std::string& hid) {
    Host& h = hosts_.at(hid);
    h.kernel_up = false;
    h.held.clear();
    trace("host crash " + hid);
  }
  void host_boot(const std::string& hid) {
    Host& h = hosts_.at(hid);
    if (h.kernel_up) return;
    h.kernel_up = true;
    h.agent_paused = false;
    h.last_contact = now_;
    trace("host boot " + hid);
  }
  void host_net(const std::string& hid, bool on) {
    Host& h = hosts_.at(hid);
    h.client_net = on;
    for (const auto& [id, m] : members_) on ? uncut(hid, id) : cut(hid, id);
    trace(std::string("host net ") + (on ? "up " : "down ") + hid);
  }

  void heal() {
    settling_ = true;
    loss_ = dup_ = 0;
    cut_.clear();
    for (auto& [id, m] : members_) {
      if (!m->up) boot_member(*m);
      if (m->paused) wake(id);
    }
    for (auto& [id, h] : hosts_) {
      host_boot(id);
      h.agent_paused = false;
      h.client_net = true;
      h.failing_rules.clear();
    }
    trace("healed");
    operator_sweep();
  }

  // The on-call operator during the fault-free tail: every 2 s, through the acting
  // controller, unfreezes rules and resumes the ones waiting for a person.
  void operator_sweep() {
    at(now_ + 2000, [this] { operator_sweep(); });
    const MemberId a = acting_member();
    if (a.empty()) return;
    for (const auto& [id, r] : std::map<std::string, rules::RuleState>(member(a).core->state().rules)) {
      const std::string rid = id;
      if (r.frozen) operator_cmd(a, [rid](TimeMs) { return rules::Event(rules::Freeze{rid, "", false}); });
      if (r.phase == rules::RulePhase::AdminWait || r.phase == rules::RulePhase::Blocked)
        operator_cmd(a, [rid](TimeMs now) { return rules::Event(rules::Resume{rid, now}); });
    }
  }

  // ------------------------------------------------------------ invariants
  void check_committed(const Member& m, const Entry& e) {
    auto [it, fresh] = committed_.try_emplace(e.index, e);
    if (!fresh && !(it->second == e))
      violation("state-machine safety: " + m.id + " applies entry " + std::to_string(e.index) + " of term " +
                std::to_string(e.term) + ", others applied term " + std::to_string(it->second.term));
    report_.committed = std::max<uint64_t>(report_.committed, e.index);
  }

  // design §6.4, second half: a failover of a lost node (NodeFailed) starts only from the
  // arbiter's "not seen" for that node, or while the arbiter is unreachable (then each
  // rule's on_arbiter_down policy decides).
  void check_failover_cause(const rules::Event& ev, uint64_t term, const std::set<uint64_t>& before,
                            bool arbiter_known_down, const Member& m) {
    for (const auto& [id, t] : m.core->state().transitions) {
      if (before.count(id) || t.reason != rules::TransitionReason::NodeFailed) continue;
      ++report_.failovers;
      const auto* av = std::get_if<rules::ArbiterView>(&ev);
      // The event must say so, and when it says the arbiter answered, the latest answer
      // about the node delivered to the controller that proposed it (the leader of the
      // entry's term) must have been "not seen": the core may not turn a "sees" into a
      // failover.
      auto proposer = leaders_.find(term);
      auto said = proposer == leaders_.end() ? witness_said_.end() : witness_said_.find({proposer->second, t.from});
      const bool witness_agrees = said != witness_said_.end() && !said->second;
      const bool by_arbiter = av && av->node == t.from && (!av->arbiter_reachable || (!av->sees_node && witness_agrees));
      if (!by_arbiter && !arbiter_known_down && m.core->state().arbiter_reachable)
        violation("6.4 failover of " + t.from + " started by " + rules::event_name(ev) +
                  ", not by the arbiter's answer");
    }
  }

  void check_leader_completeness(const Member& m) {
    for (const auto& [idx, e] : committed_) {
      if (idx <= m.raft->snapshot().meta.index) continue;
      const auto& log = m.raft->entries();
      const Entry* mine = idx >= m.raft->snapshot().meta.index + 1 && idx - m.raft->snapshot().meta.index <= log.size()
                              ? &log[idx - m.raft->snapshot().meta.index - 1]
                              : nullptr;
      if (!mine || !(*mine == e)) {
        violation("leader completeness: new leader " + m.id + " lacks committed entry " + std::to_string(idx));
        return;
      }
    }
  }

  void check_log_matching() {
    std::vector<const Member*> live;
    for (const auto& [id, m] : members_)
      if (m->up && m->raft) live.push_back(m.get());
    for (size_t i = 0; i < live.size(); ++i)
      for (size_t j = i + 1; j < live.size(); ++j) {
        const auto& a = live[i]->raft->entries();
        const auto& b = live[j]->raft->entries();
        if (a.empty() || b.empty()) continue;
        const uint64_t lo = std::max(a.front().index, b.front().index), hi = std::min(a.back().index, b.back().index);
        if (lo > hi) continue;
        // The highest common index with equal terms: everything before it must match.
        uint64_t top = 0;
        for (uint64_t k = hi; k >= lo && k > 0; --k)
          if (a[k - a.front().index].term == b[k - b.front().index].term) {
            top = k;
            break;
          }
        for (uint64_t k = lo; top && k <= top; ++k)
          if (!(a[k - a.front().index] == b[k - b.front().index])) {
            violation("log matching: " + live[i]->id + " and " + live[j]->id + " differ at " + std::to_string(k) +
                      " below matching index " + std::to_string(top));
            return;
          }
      }
  }

  void check_step() {
    // design §6.3: at most one controller acts (a paused one cannot: it re-checks its
    // lease before anything else when it wakes).
    int acting = 0;
    for (const auto& [id, m] : members_)
      if (m->up && !m->paused && m->core && m->core->acting()) ++acting;
    if (acting > 1) violation("6.3 two controllers act at once");
    // design §6.1: one holder per VIP that clients can reach. A host whose network just
    // went down keeps the address until its keeper's next poll (50 ms); nobody can
    // reach it there, and the ARP probe of the new holder cannot see it either.
    std::map<std::string, std::string> holder;
    for (const auto& [id, h] : hosts_) {
      if (!h.kernel_up || !h.client_net) continue;
      for (const auto& [vip, rule] : h.held) {
        auto [it, fresh] = holder.try_emplace(vip, id);
        if (!fresh) violation("6.1 VIP " + vip + " held by " + it->second + " and " + id);
      }
    }
    // design §6.6, on the hosts and in the acting engine's plan: no host holds the
    // addresses of more units than its capacity (units as the acting engine groups
    // them), and the engine never plans more. (Seed 3099 found a node that came back
    // still holding a stale VIP being given a new rule before the release landed;
    // occupancy now counts held addresses.)
    if (const MemberId a = acting_member(); !a.empty()) {
      const auto& st = member(a).core->state();
      std::map<std::string, std::set<std::string>> units_on;
      for (const auto& [id, h] : hosts_) {
        if (!h.kernel_up) continue;
        for (const auto& [vip, rule] : h.held)
          if (auto rit = st.rules.find(rule); rit != st.rules.end()) units_on[id].insert(rules::unit_key(rit->second.spec));
      }
      for (const auto& [id, units] : units_on)
        if (static_cast<int>(units.size()) > hosts_.at(id).capacity)
          violation("6.6 host " + id + " holds the addresses of " + std::to_string(units.size()) + " units, capacity " +
                    std::to_string(hosts_.at(id).capacity));
      const auto occ = rules::compute_occupancy(st);
      for (const auto& [id, n] : st.nodes)
        if (auto it = occ.hosted.find(id); it != occ.hosted.end() && it->second > n.spec.capacity)
          violation("6.6 the engine on " + a + " plans " + std::to_string(it->second) + " units on " + id);
    }
    if (++steps_ % 64 == 0) check_log_matching();
  }

  void final_check() {
    check_log_matching();
    const MemberId a = acting_member();
    if (a.empty()) return violation("no acting controller after the faults healed");
    const auto& state = member(a).core->state();
    if (opt_.verbose) trace("final state on " + a + ": " + rules::to_json(state).dump());
    if (opt_.verbose)
      for (const auto& [id, m] : members_)
        trace("clock " + id + ": local " + std::to_string(local(*m)) + " cluster " + std::to_string(m->core->cluster_now(local(*m))) +
              " applied " + std::to_string(m->core->log_index()) + " acting " + std::to_string(m->core->acting()));
    // Every member applied the same state (the arbiter too: it keeps the log).
    const std::string mine = rules::to_json(state).dump();
    for (const auto& [id, m] : members_)
      if (m->core->log_index() + 5 < member(a).core->log_index())
        violation("member " + id + " lags: applied " + std::to_string(m->core->log_index()) + " of " +
                  std::to_string(member(a).core->log_index()));
    // design §6.2: every acknowledged command is in the log that everyone applied.
    for (const auto& [idx, what] : acked_)
      if (!committed_.count(idx) && idx > 0) violation("6.2 acknowledged " + what + " at " + std::to_string(idx) + " missing");
    // design §6.5: every rule runs exactly once, on the node the engine names.
    for (const auto& [id, r] : state.rules) {
      const auto& vip = r.spec.vips.front().cidr;
      std::vector<std::string> hs;
      for (const auto& [hid, h] : hosts_)
        if (h.kernel_up && h.held.count(vip)) hs.push_back(hid);
      if (r.phase == rules::RulePhase::Unplaced && hs.empty()) {
        auto occ = rules::compute_occupancy(state);
        if (rules::rank_candidates(state, occ, {rules::unit_of(state, id), "", "", {}, true}).empty()) continue;
      }
      if (r.phase != rules::RulePhase::Running || hs.size() != 1 || hs[0] != r.primary)
        violation("6.5 after settling rule " + id + " is " + rules::to_string(r.phase) + " on '" + r.primary + "', held by " +
                  std::to_string(hs.size()) + " host(s)");
    }
    (void)mine;
  }

  friend class SimLog;
  friend class SimOutbox;

  ControlPlaneOptions opt_;
  std::mt19937_64 rng_;
  TimeMs now_ = 0;
  uint64_t seq_ = 0;
  uint64_t steps_ = 0;
  uint64_t restarts_ = 0;
  uint64_t next_query_ = 1;
  bool settling_ = false;
  double loss_ = 0, dup_ = 0;
  rules::Settings settings_;
  consensus::Membership membership_;
  TimeMs arbiter_lost_at_ = -1;
  std::map<MemberId, std::unique_ptr<Member>> members_;
  std::map<std::string, Host> hosts_;
  std::vector<std::string> rules_;
  std::set<std::pair<std::string, std::string>> cut_;
  std::vector<controller::LogEntry> events_;
  std::map<uint64_t, Entry> committed_;
  std::map<std::pair<MemberId, std::string>, TimeMs> arbiter_heard_;  // (arbiter, host) -> last heartbeat received
  std::set<uint64_t> failover_checked_;                               // entry indices checked for 6.4
  std::map<std::pair<MemberId, std::string>, bool> witness_said_;     // (controller, node) -> last answer delivered: sees?
  std::map<uint64_t, MemberId> leaders_;
  std::vector<std::pair<uint64_t, std::string>> acked_;
  std::priority_queue<Timed, std::vector<Timed>, std::greater<>> queue_;
  ControlPlaneReport report_;
};

Expected<uint64_t> SimLog::propose(const controller::LogEntry& e) {
  if (!m_.raft) return Expected<uint64_t>::Error("down");
  return m_.raft->propose(sim_.store_event(e));
}

void SimLog::compact(uint64_t index, const controller::CoreSnapshot& state) {
  m_.raft->compact(index, controller::to_json(state).dump());
  m_.disk.snapshot = m_.raft->snapshot();
  std::erase_if(m_.disk.entries, [&](const Entry& e) { return e.index <= index; });
}

bool SimOutbox::send_command(const controller::NodeId& node, const wire::Command& c) {
  if (!sim_.link_up(m_.id, node)) return false;  // no session
  ++sim_.report_.actions;
  const MemberId from = m_.id;
  sim_.send(from, node, [&sim = sim_, from, node, c] { sim.agent_command(from, node, c); });
  return true;
}

void SimOutbox::consult_arbiter(const controller::NodeId& node) { sim_.consult(m_, node); }

void SimOutbox::arbiter_heard(const controller::NodeId& node) {
  sim_.to_arbiter(m_, [node](Member& a) { a.witness->lift(node); });
}

bool SimOutbox::grant_vouching() {
  // Sent if there is a session (the link is up when sent; the grant may still be lost).
  if (!sim_.link_up(m_.id, sim_.arbiter_of(m_))) return false;
  const uint64_t term = m_.raft->term();
  sim_.to_arbiter(m_, [&sim = sim_, term](Member& a) { a.witness->grant(sim.local(a), controller::kVouchGrantMs, term); });
  return true;
}

}  // namespace

ControlPlaneReport run_control_plane(const ControlPlaneOptions& opt) {
  Sim sim(opt);
  return sim.run();
}

}  // namespace poolha::sim
