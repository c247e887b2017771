#include "arbiter/daemon.h"

#include "common/utf8.h"
#include "wire/vouch_grant.h"

#include <spdlog/spdlog.h>

namespace poolha::arbiter {

namespace {

wire::Envelope heartbeat_answer(uint64_t seq) {
  wire::Envelope out;
  out.mutable_heartbeat()->set_seq(seq);
  return out;
}

}  // namespace

ArbiterDaemon::ArbiterDaemon(boost::asio::io_context& io, ArbiterConfig config)
    : io_(io),
      config_(std::move(config)),
      epoch_(std::chrono::steady_clock::now()),
      witness_(config_.sees_within_ms, 0, kQuietAfterStartMs) {}

TimeMs ArbiterDaemon::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - epoch_).count();
}

Status ArbiterDaemon::start() {
  if (auto st = check_tls_files(config_.tls); !st.ok()) return Status::Error("tls: " + st.error());
  auto ctx = wire::mutual_tls_context(config_.tls, /*server=*/true);
  if (!ctx.ok()) return Status::Error("tls: " + ctx.error());
  wire::Listener::Options opts;
  opts.roles = {pki::Role::Agent, pki::Role::Controller};
  opts.member_id = config_.name;
  opts.idle_timeout = wire::Millis(3000);
  opts.gate = wire::kAgentPortGate;
  opts.on_refusals = [](const std::string& line) { spdlog::warn("arbiter port: {}", line); };
  opts.revoked = revoked_;
  listener_ = std::make_shared<wire::Listener>(io_, *ctx, opts);
  listener_->on_hello([this](const auto& s, const wire::Hello& h) { return on_hello(s, h); });
  if (auto st = listener_->listen(config_.listen.host, config_.listen.port); !st.ok()) return st;
  spdlog::info("arbiter {} listening on {} (sees_within_ms {}, heartbeats unanswered for the first {} ms)",
               config_.name, config_.listen.str(), config_.sees_within_ms, kQuietAfterStartMs);
  return Status::Ok();
}

std::vector<std::string> ArbiterDaemon::unheard(const std::vector<std::string>& nodes) const {
  // Nodes never heard count once agents had time to connect after our quiet period.
  constexpr TimeMs kNeverHeardGraceMs = 3000;
  return witness_.unheard(nodes, now_ms(), kQuietAfterStartMs + kNeverHeardGraceMs);
}

void ArbiterDaemon::stop() {
  if (listener_) listener_->stop();
}

std::string ArbiterDaemon::on_hello(const std::shared_ptr<wire::Session>& s, const wire::Hello& hello) {
  const auto role = s->peer().role;
  const std::string who = pki::to_string(role) + " " + hello.node_id() + " from " + s->remote();
  // The session owns its handlers, so they hold it weakly (a strong capture is a cycle).
  std::weak_ptr<wire::Session> weak = s;
  auto on_close = [who](const std::string& why) { spdlog::info("{} disconnected: {}", who, why); };
  if (role == pki::Role::Agent && !witness_.admits(hello.node_id(), now_ms())) {
    const std::string why = witness_.fenced(hello.node_id())
                                ? "node " + hello.node_id() + " is fenced by arbiter " + config_.name +
                                      " until a controller hears it again"
                                : "arbiter " + config_.name + " is not taking agents yet (just started); retry";
    spdlog::info("{} refused: {}", who, why);
    return why;
  }
  if (role == pki::Role::Agent) {
    s->start([this, weak](wire::Envelope&& e) {
      if (auto live = weak.lock()) on_agent_message(live, std::move(e));
    }, on_close);
  } else {
    s->start([this, weak](wire::Envelope&& e) {
      if (auto live = weak.lock()) on_controller_message(live, std::move(e));
    }, on_close);
  }
  spdlog::info("{} connected", who);
  return "";
}

void ArbiterDaemon::on_agent_message(const std::shared_ptr<wire::Session>& s, wire::Envelope&& e) {
  deliver(s, handle(pki::Role::Agent, s->peer().common_name, e));
}

void ArbiterDaemon::on_controller_message(const std::shared_ptr<wire::Session>& s, wire::Envelope&& e) {
  deliver(s, handle(pki::Role::Controller, s->peer().common_name, e));
}

void ArbiterDaemon::deliver(const std::shared_ptr<wire::Session>& s, const ArbiterReply& r) {
  if (r.send) s->send(*r.send);
  if (!r.close.empty()) s->close(r.close);
}

std::string ArbiterDaemon::not_leader(const std::string& ctl, std::optional<uint64_t> term) const {
  if (!leader_view_) return "";
  const LeaderView v = leader_view_();
  if (v.leader != ctl)
    return "it is not the leader (" + (v.leader.empty() ? std::string("no leader known") : "leader " + v.leader) + ")";
  if (term && *term != v.term)
    return "its grant is for term " + std::to_string(*term) + " and the current term is " + std::to_string(v.term);
  return "";
}

ArbiterReply ArbiterDaemon::handle(pki::Role role, const std::string& peer, const wire::Envelope& e) {
  return role == pki::Role::Agent ? from_agent(peer, e) : from_controller(peer, e);
}

ArbiterReply ArbiterDaemon::from_agent(const std::string& node, const wire::Envelope& e) {
  if (!e.has_heartbeat()) {
    spdlog::warn("agent {} sent {}, which agents may not send; closing its session", node, wire::body_name(e));
    return {std::nullopt, std::string("unexpected ") + wire::body_name(e) + " from an agent"};
  }
  if (witness_.heard(node, now_ms())) return {heartbeat_answer(e.heartbeat().seq()), ""};
  if (witness_.fenced(node)) {
    spdlog::debug("heartbeat {} from fenced node {} not counted", e.heartbeat().seq(), node);
    return {};
  }
  // Not vouching now (no grant from the active controller, or just started): seq 0
  // keeps the session alive without renewing the agent's lease.
  return {heartbeat_answer(0), ""};
}

ArbiterReply ArbiterDaemon::from_controller(const std::string& ctl, const wire::Envelope& e) {
  if (e.has_heartbeat()) return {heartbeat_answer(e.heartbeat().seq()), ""};
  std::optional<uint64_t> term;
  if (e.has_vouch_grant()) term = e.vouch_grant().term();
  if (std::string why = not_leader(ctl, term); !why.empty()) {
    if (auto suppressed = ignored_log_.allow(now_ms()))
      spdlog::warn("{} from controller {} ignored: {}{}", wire::body_name(e), ctl, why,
                   *suppressed ? " (" + std::to_string(*suppressed) + " more ignored in the last 10 s)" : "");
    return {};
  }
  if (e.has_arbiter_query()) {
    const auto& q = e.arbiter_query();
    const bool was_fenced = witness_.fenced(q.node_id());
    const WitnessAnswer a = witness_.query(q.node_id(), now_ms());
    wire::Envelope out;
    auto* ans = out.mutable_arbiter_answer();
    ans->set_query_id(q.query_id());
    ans->set_node_id(q.node_id());
    ans->set_sees(a.sees);
    ans->set_ms_since_heard(a.ms_since_heard);
    const std::string node = text::log_safe(q.node_id(), 64);
    spdlog::info("controller {} asked about {}: {} (last heard {})", ctl, node, a.sees ? "seen" : "not seen",
                 a.ms_since_heard < 0 ? std::string("never") : std::to_string(a.ms_since_heard) + " ms ago");
    if (!was_fenced && witness_.fenced(q.node_id()))
      spdlog::warn("node {} fenced: its heartbeats no longer count until a controller hears it again", node);
    return {out, ""};
  }
  if (e.has_vouch_grant()) {
    if (!witness_.vouching(now_ms())) spdlog::info("controller {} (term {}) lets the arbiter vouch for agents", ctl, e.vouch_grant().term());
    if (!witness_.grant(now_ms(), wire::kVouchGrantMs, e.vouch_grant().term()))
      spdlog::warn("controller {} sent a grant of term {}, older than one already taken: ignored", ctl, e.vouch_grant().term());
    return {};
  }
  if (e.has_arbiter_heard()) {
    if (witness_.lift(e.arbiter_heard().node_id()))
      spdlog::info("controller {} hears {} again: fence lifted", ctl, text::log_safe(e.arbiter_heard().node_id(), 64));
    return {};
  }
  spdlog::warn("controller {} sent {}, which the arbiter does not take; closing its session", ctl, wire::body_name(e));
  return {std::nullopt, std::string("unexpected ") + wire::body_name(e) + " at the arbiter"};
}

}  // namespace poolha::arbiter
