// The enrolment port (SPEC §7: "new agents enrol with a one-time token"): TLS with
// only the controller authenticated (the agent has no certificate yet). One request
// per connection: a valid, unused token bound to the node name buys a certificate
// for exactly that name with role agent, signed by the cluster CA.
#pragma once
#include "controller/event_history.h"
#include "controller/token_store.h"
#include "wire/session.h"

namespace poolha::controller {

class EnrolmentService {
 public:
  EnrolmentService(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> ctx, pki::KeyCert ca,
                   TokenStore& tokens, EventHistory& history);
  Status listen(const wire::Endpoint& ep);

 private:
  void handle(const std::shared_ptr<wire::Session>& s);
  wire::EnrolReply answer(const wire::EnrolRequest& req, const std::string& remote);

  wire::asio::io_context& io_;
  std::shared_ptr<wire::Listener> listener_;
  pki::KeyCert ca_;
  TokenStore& tokens_;
  EventHistory& history_;
};

}  // namespace poolha::controller
