#include "agent/daemon.h"

#include <spdlog/spdlog.h>

#include "agent/host.h"
#include "common/utf8.h"
#include "wire/event_loop.h"
#include "wire/pki.h"

namespace poolha::agent {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A steady_clock time point on the lease's clock (monotonic_ms): the same clock on
// Linux; on Windows the lease runs on GetTickCount64, which the keeper reads too.
int64_t lease_ms(Clock::time_point t) {
  return monotonic_ms() - std::chrono::duration_cast<milliseconds>(Clock::now() - t).count();
}

constexpr milliseconds kTick{50};
constexpr milliseconds kPingEvery{200};
constexpr milliseconds kFactsEvery{2000};

const char* outcome_name(wire::CommandResult::Outcome o) {
  switch (o) {
    case wire::CommandResult::OK: return "OK";
    case wire::CommandResult::FAILED: return "FAILED";
    case wire::CommandResult::TIMED_OUT: return "TIMED_OUT";
    case wire::CommandResult::CONFLICT: return "CONFLICT";
    case wire::CommandResult::STALE: return "STALE";
    case wire::CommandResult::REFUSED: return "REFUSED";
    default: return "?";
  }
}

std::string vips_text(const wire::Command& c) {
  std::string s;
  for (const auto& v : c.vips()) s += (s.empty() ? "" : ",") + v.cidr();
  return s;
}

bool same_specs(const std::vector<std::shared_ptr<MonitorScheduler>>& running, const std::vector<rules::MonitorSpec>& want) {
  if (running.size() != want.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& a = running[i]->spec();
    const auto& b = want[i];
    if (a.name != b.name || a.kind != b.kind || a.params != b.params || a.interval_ms != b.interval_ms ||
        a.timeout_ms != b.timeout_ms || a.threshold != b.threshold || a.restarts != b.restarts ||
        a.restart_script != b.restart_script)
      return false;
  }
  return true;
}

}  // namespace

AgentDaemon::AgentDaemon(AgentConfig cfg, HostOps& host, LeaseFile lease, CommandLedger ledger, std::string os_name)
    : cfg_(std::move(cfg)), host_(host), os_name_(std::move(os_name)), signals_(io_, SIGTERM, SIGINT),
      heartbeat_timer_(io_), tick_timer_(io_), facts_timer_(io_), lease_(std::move(lease), cfg_.isolation_response),
      ledger_(std::move(ledger)) {
  runner_ = std::make_unique<ActionRunner>(cfg_, host_, lease_,
                                           [this](std::function<void()> job) { safety_pool_.submit(std::move(job)); });
}

AgentDaemon::~AgentDaemon() = default;

// design §4 "agent process restarted: no switch, no outage": VIPs the previous process
// left in place are ours again; those the keeper removed (or would remove: the hold
// lapsed) are not, and any remnant is removed.
void AgentDaemon::reconcile_after_restart() {
  const LeaseSnapshot snap = lease_.snapshot();
  auto ifaces = host_.list_interfaces();
  if (!ifaces.ok()) {
    spdlog::error("start-up: {}", ifaces.error());
    return;
  }
  const bool lapsed = monotonic_ms() > snap.hold.hold_until_ms;
  const bool gone = released(snap) || (lapsed && cfg_.isolation_response == IsolationResponse::Release);
  std::vector<HeldVip> keep, remove;
  for (const auto& v : snap.hold.vips) {
    const bool present = has_address(*ifaces, v.ifname, v.cidr);
    if (gone && present) remove.push_back({"", v.ifname, v.cidr, false});
    else if (!gone && present) keep.push_back({"", v.ifname, v.cidr, true});
  }
  if (!snap.hold.vips.empty())
    spdlog::info("start-up: lease lists {} VIP(s); hold {} ({} ms); {} still held, {} to remove", snap.hold.vips.size(),
                 gone ? (released(snap) ? "released by the keeper" : "lapsed") : "current",
                 snap.hold.hold_until_ms - monotonic_ms(), keep.size(), remove.size());
  for (const auto& v : remove) {
    auto st = host_.remove_address(v.ifname, v.cidr);
    if (st.ok()) spdlog::warn("start-up: removed {} from {}: its hold lapsed while the agent was away", v.cidr, v.ifname);
    else spdlog::error("start-up: {}", st.error());
  }
  if (auto st = lease_.reset(keep); !st.ok()) spdlog::error("start-up: {}", st.error());
  if (gone) lease_.take_lapsed(0);  // a fresh, empty list; the hold starts when a member answers
}

int AgentDaemon::run() {
  auto tls = wire::mutual_tls_context({cfg_.tls.ca, cfg_.tls.cert, cfg_.tls.key}, false);
  if (!tls.ok()) {
    spdlog::critical("TLS: {}", tls.error());
    return 1;
  }
  for (const auto& m : cfg_.monitors) {
    auto mon = make_monitor("", m);
    node_monitors_.push_back(mon);
  }
  for (const auto& mon : node_monitors_)
    if (!mon->status().healthy() && mon->status().detail().rfind("monitor refused", 0) == 0) {
      spdlog::critical("monitors.{}: {}", mon->spec().name, mon->status().detail());
      return 1;
    }
  reconcile_after_restart();
  set_facts(host_.list_interfaces());  // the first Hello carries real facts
  refresh_facts();

  for (const auto& m : cfg_.members) {
    auto link = std::make_shared<MemberLink>(
        io_, *tls, m, [this] { return make_hello(); },
        [this](MemberLink& from, wire::Envelope&& e) { on_message(from, std::move(e)); },
        [this](MemberLink&) { send_heartbeat(); });  // its echo is the first contact
    links_.push_back(link);
    link->start();
  }
  for (auto& mon : node_monitors_) mon->start();
  signals_.async_wait([this](boost::system::error_code ec, int sig) {
    if (!ec) stop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
  });
  schedule_heartbeat();
  schedule_tick();
  spdlog::info("poolha-agent {} node {} started: {} member(s), heartbeat {} ms, isolation {} ms ({}), lease hold {}",
               kAgentVersion, cfg_.node_id, cfg_.members.size(), cfg_.heartbeat_interval_ms, cfg_.isolation_timeout_ms,
               to_string(cfg_.isolation_response), lease_.hold_current() ? "current" : "not held");
  wire::run_event_loop(io_, [](const std::string& what) {
    spdlog::critical("internal error (a bug; please report it): {}; the agent carries on", text::log_safe(what, 1024));
  });
  spdlog::info("poolha-agent stopped; VIPs left in place: {}", lease_.confirmed_cidrs().size());
  return 0;
}

void AgentDaemon::request_stop() {
  boost::asio::post(io_, [this] { stop("stop requested"); });
}

void AgentDaemon::stop(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  // Renew once more (only if the hold is earned), so a quick restart finds it
  // current; do NOT remove VIPs (design §4: a restarted agent causes no outage).
  if (member_contact()) lease_.renew(cfg_.isolation_timeout_ms, lease_ms(last_member_contact()));
  spdlog::warn("{}: stopping; {} VIP(s) stay; the lease keeper removes them if no agent renews the hold within {} ms",
               why, lease_.confirmed_cidrs().size(), cfg_.isolation_timeout_ms);
  for (auto& l : links_) l->stop();
  for (auto& m : node_monitors_) m->stop();
  for (auto& [rule, mons] : rule_monitors_)
    for (auto& m : mons) m->stop();
  heartbeat_timer_.cancel();
  tick_timer_.cancel();
  facts_timer_.cancel();
  io_.stop();
}

// ------------------------------------------------------------------ facts, hello

void AgentDaemon::set_facts(const Expected<std::vector<Interface>>& ifaces) {
  if (!ifaces.ok()) {
    spdlog::warn("interfaces: {}", ifaces.error());
    return;
  }
  wire::NodeFacts f;
  boost::system::error_code ec;
  f.set_hostname(boost::asio::ip::host_name(ec));
  f.set_os(os_name_);
  f.set_agent_version(kAgentVersion);
  for (const auto& i : *ifaces) {
    auto* out = f.add_interfaces();
    out->set_name(i.name);
    out->set_mac(i.mac);
    out->set_up(i.up);
    out->set_carrier(i.carrier);
    for (const auto& a : i.addresses) out->add_addresses(a);
  }
  for (const auto& s : subnets_of(*ifaces)) f.add_subnets(s);
  for (const auto& s : cfg_.vip_policy.subnets) f.add_vip_subnets(s);
  for (const auto& s : cfg_.vip_policy.interfaces) f.add_vip_interfaces(s);
  facts_ = std::move(f);
}

void AgentDaemon::refresh_facts() {
  safety_pool_.submit([this] {
    auto ifaces = host_.list_interfaces();
    boost::asio::post(io_, [this, ifaces = std::move(ifaces)]() mutable {
      set_facts(ifaces);
      facts_timer_.expires_after(kFactsEvery);
      facts_timer_.async_wait([this](boost::system::error_code ec2) {
        if (!ec2 && !stopping_) refresh_facts();
      });
    });
  });
}
wire::Hello AgentDaemon::make_hello() {
  wire::Hello h;
  h.set_protocol_version(wire::kProtocolVersion);
  h.set_node_id(cfg_.node_id);
  *h.mutable_facts() = facts_;
  return h;
}

// ------------------------------------------------------------------ messages

// A member answered one of our heartbeats: renew the hold, counted from when we sent
// that heartbeat (MemberLink::last_contact), never from now — the member's deadline
// for us runs from when it last heard us, and a late or stale frame must not stretch
// our hold past it.
void AgentDaemon::on_contact(const MemberLink& from) {
  if (stopping_ || !from.ever_heard()) return;
  if (isolated_) spdlog::warn("contact with the control plane regained");
  isolated_ = false;
  const int64_t earned = lease_ms(from.last_contact());
  // A hold that lapsed (e.g. we were SIGSTOPped) is not silently extended: the
  // keeper may already have removed our VIPs, and the controller may have moved them.
  if (!lease_.renew(cfg_.isolation_timeout_ms, earned)) on_lapse("the lease hold lapsed while the agent was not running");
}

void AgentDaemon::on_message(MemberLink& from, wire::Envelope&& e) {
  check_keeper_release();
  switch (e.body_case()) {
    case wire::Envelope::kHeartbeat:
      return on_contact(from);  // the member's answer to one of our heartbeats
    case wire::Envelope::kCommand:
      if (from.member().role != MemberRole::Controller)
        return from.drop(std::string("command from ") + to_string(from.member().role) + " " + from.member().name + " refused");
      return on_command(from, e.command());
    case wire::Envelope::kRole:
      if (from.member().role != MemberRole::Controller)
        return from.drop(std::string("role assignment from ") + to_string(from.member().role) + " refused");
      return on_role(e.role());
    default:
      spdlog::warn("member {}: unexpected {}: closing that connection", from.member().name, wire::body_name(e));
      return from.drop(std::string("unexpected ") + wire::body_name(e));
  }
}

void AgentDaemon::on_command(MemberLink& from, const wire::Command& cmd) {
  auto adm = ledger_.admit(cmd);
  std::weak_ptr<MemberLink> origin = from.weak_from_this();
  const char* kind = cmd.kind() == wire::Command::ACQUIRE ? "acquire" : "release";
  switch (adm.verdict) {
    case CommandLedger::Verdict::Run:
      queues_[cmd.rule()].push_back({cmd, origin});
      pump(cmd.rule());
      return;
    case CommandLedger::Verdict::InProgress:
      spdlog::info("command {} {} rule={}: already running; its result follows", cmd.action_id(), kind, cmd.rule());
      return;
    case CommandLedger::Verdict::Duplicate:
      spdlog::info("command {} {} rule={}: repeated; answering {} again", cmd.action_id(), kind, cmd.rule(),
                   outcome_name(adm.reply.outcome()));
      return reply(origin, adm.reply);
    case CommandLedger::Verdict::Stale:
    case CommandLedger::Verdict::Refused:
      spdlog::warn("command {} {} rule={} epoch={} from {} -> {}: {}", cmd.action_id(), kind, cmd.rule(), cmd.epoch(),
                   from.member().name, outcome_name(adm.reply.outcome()), adm.reply.detail());
      return reply(origin, adm.reply);
  }
}

void AgentDaemon::pump(const std::string& rule) {
  auto& q = queues_[rule];
  if (busy_rules_.count(rule) || q.empty()) return;
  busy_rules_.insert(rule);
  Queued item = std::move(q.front());
  q.pop_front();
  command_pool_.submit([this, rule, item] {
    wire::CommandResult r =
        item.cmd.kind() == wire::Command::ACQUIRE ? runner_->acquire(item.cmd) : runner_->release(item.cmd);
    boost::asio::post(io_, [this, rule, item, r] { on_command_done(rule, item, r); });
  });
}

void AgentDaemon::on_command_done(const std::string& rule, const Queued& q, wire::CommandResult r) {
  const auto& c = q.cmd;
  const char* kind = c.kind() == wire::Command::ACQUIRE ? "acquire" : "release";
  auto log_level = r.outcome() == wire::CommandResult::OK ? spdlog::level::info : spdlog::level::err;
  spdlog::log(log_level, "command {} {} rule={} epoch={} vips=[{}] script={} -> {} in {} ms{}{}: {}", c.action_id(), kind,
              rule, c.epoch(), vips_text(c), c.script().empty() ? "-" : c.script(), outcome_name(r.outcome()),
              r.duration_ms(), c.script().empty() ? "" : " exit=", c.script().empty() ? "" : std::to_string(r.exit_code()),
              r.detail());
  ledger_.complete(r);
  busy_rules_.erase(rule);
  // Persist before the reply: an answered command must survive our restart.
  persist_then([this, origin = q.origin, r] {
    reply(origin, r);
    send_heartbeat();
  });
  pump(rule);
}

void AgentDaemon::reply(const std::weak_ptr<MemberLink>& origin, const wire::CommandResult& r) {
  wire::Envelope e;
  *e.mutable_result() = r;
  if (auto l = origin.lock(); l && l->connected()) return l->send(e);
  // The sender is gone (e.g. the controller restarted): any controller may take it.
  for (auto& l : links_)
    if (l->member().role == MemberRole::Controller && l->connected()) l->send(e);
}

void AgentDaemon::persist_then(std::function<void()> after) {
  const uint64_t gen = ++state_generation_;
  const std::string json = ledger_.to_json();
  const std::string path = cfg_.state_dir + "/agent-state.json";
  safety_pool_.submit([this, gen, json, path, after = std::move(after), mu = state_mu_, written = state_written_] {
    Status st = Status::Ok();
    {
      std::lock_guard lock(*mu);
      if (gen > *written) {
        st = pki::write_file_atomic(path, json, 0600);
        if (st.ok()) *written = gen;
      }
    }
    boost::asio::post(io_, [st, after] {
      if (!st.ok()) spdlog::error("agent state: {}", st.error());
      after();
    });
  });
}

// ------------------------------------------------------------------ roles, monitors

void AgentDaemon::on_role(const wire::RoleAssignment& ra) {
  if (!ledger_.note_role(ra.term(), ra.rule(), ra.epoch())) {
    spdlog::info("role {} for rule {} (term {}, epoch {}) ignored: term {} / epoch {} already seen", ra.role(), ra.rule(),
                 ra.term(), ra.epoch(), ledger_.newest_term(), ledger_.newest_epoch(ra.rule()));
    return;
  }
  const std::string old = roles_.count(ra.rule()) ? roles_[ra.rule()] : "none";
  roles_[ra.rule()] = ra.role();
  release_scripts_[ra.rule()] = {ra.release_script(), ra.script_timeout_ms()};
  if (old != ra.role()) spdlog::info("rule {}: role {} -> {} (epoch {})", ra.rule(), old, ra.role(), ra.epoch());
  if (ra.role() == "primary") {
    std::vector<rules::MonitorSpec> specs;
    for (const auto& m : ra.monitors()) specs.push_back(monitor_spec_from_wire(m));
    start_rule_monitors(ra.rule(), specs);
  } else {
    stop_rule_monitors(ra.rule());
  }
  persist_then([] {});
  send_heartbeat();
}

std::shared_ptr<MonitorScheduler> AgentDaemon::make_monitor(const std::string& rule, const rules::MonitorSpec& spec) {
  const std::string invalid = monitor_refusal(spec, host_, cfg_.check_policy());
  if (!invalid.empty()) spdlog::error("{} monitor {}: refused: {}", rule.empty() ? "node" : "rule " + rule, spec.name, invalid);
  return std::make_shared<MonitorScheduler>(io_, monitor_pool_, host_, cfg_.check_policy(), cfg_.node_id, rule, spec,
                                            invalid, [this] { send_heartbeat(); });
}

void AgentDaemon::start_rule_monitors(const std::string& rule, const std::vector<rules::MonitorSpec>& specs) {
  auto& running = rule_monitors_[rule];
  if (same_specs(running, specs)) return;
  stop_rule_monitors(rule);
  for (const auto& s : specs) {
    auto m = make_monitor(rule, s);
    m->start();
    rule_monitors_[rule].push_back(m);
  }
}

void AgentDaemon::stop_rule_monitors(const std::string& rule) {
  auto it = rule_monitors_.find(rule);
  if (it == rule_monitors_.end()) return;
  for (auto& m : it->second) m->stop();
  rule_monitors_.erase(it);
}

// ------------------------------------------------------------------ heartbeats

void AgentDaemon::schedule_heartbeat() {
  heartbeat_timer_.expires_after(milliseconds(cfg_.heartbeat_interval_ms));
  heartbeat_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    send_heartbeat();
    schedule_heartbeat();
  });
}

void AgentDaemon::send_heartbeat() {
  if (stopping_) return;
  check_keeper_release();
  wire::Envelope e;
  auto* hb = e.mutable_heartbeat();
  hb->set_seq(++seq_);
  for (const auto& c : lease_.confirmed_cidrs()) hb->add_held_vips(c);
  hb->set_actions_done(ledger_.actions_done());
  for (const auto& m : node_monitors_) *hb->add_monitors() = m->status();
  for (const auto& [rule, mons] : rule_monitors_)
    for (const auto& m : mons) *hb->add_monitors() = m->status();
  *hb->mutable_subnets() = facts_.subnets();
  for (auto& l : links_) l->send(e);
}

// ------------------------------------------------------------------ isolation

Clock::time_point AgentDaemon::last_member_contact() const {
  Clock::time_point last{};
  for (const auto& l : links_)
    if (l->ever_heard()) last = std::max(last, l->last_contact());
  return last;
}

bool AgentDaemon::member_contact() const {
  const auto now = Clock::now();
  for (const auto& l : links_)
    if (l->ever_heard() && now - l->last_contact() < milliseconds(cfg_.isolation_timeout_ms)) return true;
  return false;
}

void AgentDaemon::schedule_tick() {
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    isolation_tick();
    schedule_tick();
  });
}

void AgentDaemon::check_keeper_release() {
  auto gone = lease_.take_released_by_keeper();
  if (gone.empty()) return;
  spdlog::error("the lease keeper released {} VIP(s) (our hold lapsed: paused or starved?); they are no longer held",
                gone.size());
  safety_pool_.submit([this, gone] {
    for (const auto& line : runner_->remove_all(gone, "released by the keeper").lines) spdlog::warn("{}", line);
  });
}

void AgentDaemon::on_lapse(const std::string& why) {
  auto held = lease_.held();
  spdlog::critical("ISOLATED ({}): releasing {} VIP(s)", why, held.size());
  // Addresses first, here on the event loop (a netlink delete takes well under a
  // millisecond): the controller may add them elsewhere as soon as our hold has
  // lapsed, so they must not wait behind a script or a busy worker.
  const auto removal = runner_->remove_all(held, "isolation");
  for (const auto& line : removal.lines) spdlog::critical("{}", line);
  if (removal.all_removed) (void)lease_.take_lapsed(0);
  if (held.empty()) return;
  for (auto& l : links_) l->abort("isolation release: discarding queued reports");
  // Then the release scripts.
  command_pool_.submit([this, held, scripts = release_scripts_] {
    for (const auto& line : runner_->run_isolation_scripts(held, scripts)) spdlog::critical("{}", line);
    boost::asio::post(io_, [this] { send_heartbeat(); });
  });
}

void AgentDaemon::isolation_tick() {
  check_keeper_release();
  const auto now = Clock::now();
  // Contact renews the hold when a member answers a heartbeat (on_contact), counted
  // from when that heartbeat was sent; renewing here from `now` would stretch the hold
  // past the controller's deadline (found by the e2e network-down test: VIP on two
  // hosts for 0.45 s).
  // Start asking the isolation address once members have been quiet for half the
  // timeout, so that an answer can renew the hold before it lapses (asking only once
  // it had lapsed made the isolation address useless).
  const bool quiet = now - last_member_contact() >= milliseconds(cfg_.isolation_timeout_ms / 2);
  if (quiet && !cfg_.isolation_address.empty() && !ping_in_flight_ && now - last_ping_sent_ >= kPingEvery) {
    ping_in_flight_ = true;
    last_ping_sent_ = now;
    const int64_t sent_ms = lease_ms(now);
    safety_pool_.submit([this, sent_ms] {
      auto ok = host_.ping(cfg_.isolation_address, milliseconds(150));
      boost::asio::post(io_, [this, ok, sent_ms] {
        ping_in_flight_ = false;
        if (!ok.ok()) spdlog::warn("isolation address {}: {}", cfg_.isolation_address, ok.error());
        if (ok.ok() && *ok && !stopping_) {
          if (!lease_.renew(cfg_.isolation_timeout_ms, sent_ms)) on_lapse("the lease hold lapsed while the agent was not running");
        }
      });
    });
  }
  if (member_contact()) return;
  if (!lease_.hold_current() && !isolated_) {
    isolated_ = true;
    if (lease_.held().empty()) {
      spdlog::warn("no member heard for {} ms (no VIPs held)", cfg_.isolation_timeout_ms);
    } else if (cfg_.isolation_response == IsolationResponse::Release) {
      on_lapse("no member heard for " + std::to_string(cfg_.isolation_timeout_ms) + " ms" +
               (cfg_.isolation_address.empty() ? "" : " and " + cfg_.isolation_address + " does not answer"));
    } else {
      spdlog::critical("ISOLATED: no member heard for {} ms; isolation_response=keep: VIPs stay", cfg_.isolation_timeout_ms);
    }
  }
}

}  // namespace poolha::agent
