// The enrolment port (design §7: "new agents enrol with a one-time token"): TLS with
// only the controller authenticated (the agent has no certificate yet). One request
// per connection: a valid, unused token bound to the node name buys a certificate
// for exactly that name with role agent, signed by the cluster CA.
//
// Nobody is authenticated here until the token checks out (issue 9 §3): connections,
// handshakes and per-address rates are capped (wire::kEnrolPortGate), a request frame
// is at most 8 KiB, and a refusal writes nothing but a throttled log line (no history
// row, no fsync); the client learns only that its token is not valid for the name.
#pragma once
#include "common/log_throttle.h"
#include "controller_core/event_history.h"
#include "controller/token_store.h"
#include "wire/session.h"

namespace poolha::controller {

inline constexpr uint32_t kMaxEnrolFrameBytes = 8u << 10;

class EnrolmentService {
 public:
  EnrolmentService(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> ctx, pki::KeyCert ca,
                   TokenStore& tokens, EventHistory& history);
  Status listen(const wire::Endpoint& ep);

  // The answer to one request (exposed for tests and the fuzzer; no I/O but the
  // token store and, on success, one history row).
  wire::EnrolReply answer(const wire::EnrolRequest& req, const std::string& remote);

 private:
  void handle(const std::shared_ptr<wire::Session>& s);
  wire::EnrolReply refuse(const std::string& remote, const std::string& why_logged, const std::string& told);

  wire::asio::io_context& io_;
  std::shared_ptr<wire::Listener> listener_;
  pki::KeyCert ca_;
  TokenStore& tokens_;
  EventHistory& history_;
  LogThrottle refusals_log_{10'000};
};

}  // namespace poolha::controller
