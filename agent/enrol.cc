#include "agent/enrol.h"

#include "wire/pki.h"
#include "wire/session.h"

namespace poolha::agent {

Expected<std::string> enrol(const AgentConfig& cfg, const std::string& controller, const std::string& token) {
  using R = Expected<std::string>;
  auto ep = wire::parse_endpoint(controller);
  if (!ep.ok()) return R::Error("--controller: " + ep.error());
  if (token.empty() || token.size() > 256) return R::Error("--token: expected the one-time token from the operator");
  auto key = pki::generate_key();
  if (!key.ok()) return key.status();
  auto csr = pki::make_csr(*key, cfg.node_id);
  if (!csr.ok()) return csr.status();
  auto ctx = wire::enrol_client_context(cfg.tls.ca);
  if (!ctx.ok()) return R::Error("tls.ca: " + ctx.error() + " (copy the cluster CA certificate there first)");

  wire::asio::io_context io;
  std::optional<Expected<wire::EnrolReply>> outcome;
  wire::connect(io, *ctx, *ep, nullptr, pki::Role::Controller, wire::Millis(5000), wire::Millis(10000),
                [&](Expected<std::shared_ptr<wire::Session>> s, const wire::HelloAck&) {
                  if (!s.ok()) {
                    outcome = Expected<wire::EnrolReply>::Error(s.error());
                    return;
                  }
                  auto session = *s;
                  wire::Envelope req;
                  auto* r = req.mutable_enrol_request();
                  r->set_token(token);
                  r->set_node_id(cfg.node_id);
                  r->set_csr_pem(*csr);
                  session->send(req);
                  session->read_one(wire::Millis(10000), [&outcome, weak = std::weak_ptr<wire::Session>(session)](
                                                             Expected<wire::Envelope> env) {
                    auto live = weak.lock();
                    if (!env.ok()) outcome = Expected<wire::EnrolReply>::Error(env.error());
                    else if (!env->has_enrol_reply())
                      outcome = Expected<wire::EnrolReply>::Error(std::string("expected enrol_reply, got ") +
                                                                  wire::body_name(*env));
                    else outcome = env->enrol_reply();
                    if (live) live->close("enrolment done");
                  });
                });
  io.run();
  if (!outcome) return R::Error("enrolment with " + controller + ": no answer");
  if (!outcome->ok()) return R::Error("enrolment with " + controller + ": " + outcome->error());
  const auto& reply = outcome->value();
  if (!reply.error().empty()) return R::Error("enrolment refused by " + controller + ": " + reply.error());

  // Trust nothing we did not ask for: the certificate must chain to our CA and name us.
  auto ca_pem = pki::read_file(cfg.tls.ca);
  if (!ca_pem.ok()) return ca_pem.status();
  auto id = pki::verify_identity(*ca_pem, reply.cert_pem());
  if (!id.ok()) return R::Error("certificate from " + controller + " rejected: " + id.error());
  if (id->common_name != cfg.node_id || id->role != pki::Role::Agent)
    return R::Error("certificate from " + controller + " is for '" + id->common_name + "' (" + pki::to_string(id->role) +
                    "), not agent '" + cfg.node_id + "'");
  if (auto st = pki::write_file_atomic(cfg.tls.key, *key, 0600); !st.ok()) return st;
  if (auto st = pki::write_file_atomic(cfg.tls.cert, reply.cert_pem(), 0644); !st.ok()) return st;
  std::string out = "wrote " + cfg.tls.key + " (private key, 0600)\nwrote " + cfg.tls.cert + " (certificate for " +
                    id->common_name + ", sha256 " + id->fingerprint_sha256 + ")\n";
  if (!reply.ca_pem().empty() && reply.ca_pem() != *ca_pem)
    out += "note: the controller sent a CA certificate different from " + cfg.tls.ca + "; it was NOT installed\n";
  return out;
}

}  // namespace poolha::agent
