#include "controller/enrolment_service.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/utf8.h"
#include "rules/validation.h"

namespace poolha::controller {

namespace {

constexpr int kAgentCertDays = 825;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

EnrolmentService::EnrolmentService(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> ctx,
                                   pki::KeyCert ca, ControllerCore& core, EventHistory& history,
                                   std::function<TimeMs()> wall_now)
    : io_(io), ca_(std::move(ca)), core_(core), history_(history), wall_now_(std::move(wall_now)) {
  wire::Listener::Options opts;
  opts.gate = wire::kEnrolPortGate;
  opts.pre_auth_max_frame = kMaxEnrolFrameBytes;
  opts.on_refusals = [](const std::string& line) { spdlog::warn("enrolment port: {}", line); };
  listener_ = std::make_shared<wire::Listener>(io, std::move(ctx), opts);
  listener_->on_raw([this](const std::shared_ptr<wire::Session>& s) { handle(s); });
}

Status EnrolmentService::listen(const wire::Endpoint& ep) { return listener_->listen(ep.host, ep.port); }

void EnrolmentService::handle(const std::shared_ptr<wire::Session>& s) {
  // The session keeps this callback: it holds the session weakly, not in a cycle.
  s->read_one(wire::Millis(3000), [this, weak = std::weak_ptr<wire::Session>(s)](Expected<wire::Envelope> env) {
    auto live = weak.lock();
    if (!live) return;
    // Holds the session until the answer (a spend waits for the log): the certificate
    // a token was spent for must reach the agent that is waiting for it.
    auto send = [this, s = live](wire::EnrolReply reply) {
      wire::Envelope out;
      *out.mutable_enrol_reply() = std::move(reply);
      s->send(out);
      auto t = std::make_shared<wire::asio::steady_timer>(io_, wire::Millis(500));
      t->async_wait([s, t](boost::system::error_code) { s->close("enrolment done"); });
    };
    if (!env.ok() || !env->has_enrol_request())
      return send(refuse(live->remote_address(), env.ok() ? "not an enrol_request" : env.error(),
                         "expected one enrol_request"));
    answer(env->enrol_request(), live->remote_address(), send);
  });
}

wire::EnrolReply EnrolmentService::refuse(const std::string& remote, const std::string& why_logged,
                                          const std::string& told) {
  if (auto suppressed = refusals_log_.allow(steady_ms()))
    spdlog::warn("enrolment from {} refused: {}{}", remote, text::log_safe(why_logged, 200),
                 *suppressed ? " (" + std::to_string(*suppressed) + " more refusals not logged in the last 10 s)" : "");
  wire::EnrolReply reply;
  reply.set_error(told);
  return reply;
}

void EnrolmentService::answer(const wire::EnrolRequest& req, const std::string& remote, Answer done) {
  const std::string& node = req.node_id();
  if (!rules::valid_id(node))
    return done(refuse(remote, "invalid node_id", "node_id: use 1-63 letters, digits, '.', '_' or '-'"));
  if (req.csr_pem().size() > pki::kMaxPemBytes) return done(refuse(remote, "CSR too large", "csr_pem: too large"));
  if (!core_.acting())
    return done(refuse(remote, "this controller is standby",
                       "this controller is standby: enrol at the active controller (the controller VIP)"));
  // The CSR is checked before the token is spent: a malformed request costs nothing.
  auto cert = pki::sign_csr(ca_, req.csr_pem(), node, pki::Role::Agent, kAgentCertDays);
  if (!cert.ok()) return done(refuse(remote, "node " + node + ": " + cert.error(), "csr_pem: " + cert.error()));
  const std::string told = "the enrolment token is not valid for " + node +
                           " (unknown, used, expired or minted for another name): mint a new one with `poolhactl "
                           "token create " + node + "`";
  if (req.token().size() != 64)
    return done(refuse(remote, "node " + node + ": enrolment token is malformed (expected 64 hex characters)", told));
  const std::string hash = pki::hash_token(req.token());
  const TimeMs now = wall_now_();
  if (auto st = core_.access().check_enrol_token(hash, node, now); !st.ok())
    return done(refuse(remote, "node " + node + ": " + st.error(), told));
  access::Actor by{.account = "enrolment", .source = remote, .at_ms = now};
  core_.operator_command(
      LogEntry(access::SpendEnrolToken{hash, node}, by),
      [this, node, remote, told, cert = *cert, done = std::move(done)](Status st) {
        // Spent by a request that came in at the same time, or the controller stepped down.
        if (!st.ok()) return done(refuse(remote, "node " + node + ": " + st.error(), told));
        spdlog::info("enrolled agent {} from {}", node, remote);
        history_.record({.kind = "enrol", .node = node, .outcome = "ok", .detail = "certificate issued (from " + remote + ")"});
        wire::EnrolReply reply;
        reply.set_cert_pem(cert);
        reply.set_ca_pem(ca_.cert_pem);
        done(std::move(reply));
      });
}

}  // namespace poolha::controller
