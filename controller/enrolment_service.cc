#include "controller/enrolment_service.h"

#include <spdlog/spdlog.h>

#include "rules/validation.h"

namespace poolha::controller {

constexpr int kAgentCertDays = 825;

EnrolmentService::EnrolmentService(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> ctx,
                                   pki::KeyCert ca, TokenStore& tokens, EventHistory& history)
    : io_(io), ca_(std::move(ca)), tokens_(tokens), history_(history) {
  listener_ = std::make_shared<wire::Listener>(io, std::move(ctx), wire::Listener::Options{{}, "", wire::Millis(3000), wire::Millis(3000)});
  listener_->on_raw([this](const std::shared_ptr<wire::Session>& s) { handle(s); });
}

Status EnrolmentService::listen(const wire::Endpoint& ep) { return listener_->listen(ep.host, ep.port); }

void EnrolmentService::handle(const std::shared_ptr<wire::Session>& s) {
  s->read_one(wire::Millis(3000), [this, s](Expected<wire::Envelope> env) {
    wire::Envelope out;
    if (!env.ok() || !env->has_enrol_request()) {
      out.mutable_enrol_reply()->set_error(env.ok() ? "expected an enrol_request" : env.error());
    } else {
      *out.mutable_enrol_reply() = answer(env->enrol_request(), s->remote());
    }
    s->send(out);
    auto t = std::make_shared<wire::asio::steady_timer>(io_, wire::Millis(500));
    t->async_wait([s, t](boost::system::error_code) { s->close("enrolment done"); });
  });
}

wire::EnrolReply EnrolmentService::answer(const wire::EnrolRequest& req, const std::string& remote) {
  wire::EnrolReply reply;
  const std::string& node = req.node_id();
  auto refuse = [&](const std::string& why) {
    spdlog::warn("enrolment of '{}' from {} refused: {}", node, remote, why);
    history_.record({.kind = "enrol", .node = node, .outcome = "refused", .detail = why + " (from " + remote + ")"});
    reply.set_error(why);
    return reply;
  };
  if (!rules::valid_id(node)) return refuse("node_id: use 1-63 letters, digits, '.', '_' or '-'");
  if (req.csr_pem().size() > pki::kMaxPemBytes) return refuse("csr_pem: too large");
  if (auto st = tokens_.redeem(req.token(), node); !st.ok()) return refuse(st.error());
  auto cert = pki::sign_csr(ca_, req.csr_pem(), node, pki::Role::Agent, kAgentCertDays);
  if (!cert.ok()) return refuse(cert.error());
  spdlog::info("enrolled agent {} from {}", node, remote);
  history_.record({.kind = "enrol", .node = node, .outcome = "ok", .detail = "certificate issued (from " + remote + ")"});
  reply.set_cert_pem(*cert);
  reply.set_ca_pem(ca_.cert_pem);
  return reply;
}

}  // namespace poolha::controller
