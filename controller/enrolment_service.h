// The enrolment port (design §7: "new agents enrol with a one-time token"): TLS with
// only the controller authenticated (the agent has no certificate yet). One request
// per connection: a valid, unused token bound to the node name buys a certificate
// for exactly that name with role agent, signed by the cluster CA.
//
// Tokens live in the replicated access state (access/model.h): a token is checked
// against this member's copy, and spent through the log, so only the active controller
// enrols (a standby says so) and a token minted before a failover still works after.
//
// Nobody is authenticated here until the token checks out (issue 9 §3): connections,
// handshakes and per-address rates are capped (wire::kEnrolPortGate), a request frame
// is at most 8 KiB, and a refusal writes nothing but a throttled log line (no history
// row, no log entry, no fsync); the client learns only that its token is not valid for
// the name. Only a token that checks out costs a log entry, and it can do so once.
#pragma once
#include "common/log_throttle.h"
#include "controller_core/event_history.h"
#include "controller_core/controller_core.h"
#include "wire/session.h"

namespace poolha::controller {

inline constexpr uint32_t kMaxEnrolFrameBytes = 8u << 10;

class EnrolmentService {
 public:
  // `wall_now`: the cluster's wall clock (tokens expire by it).
  EnrolmentService(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> ctx, pki::KeyCert ca,
                   ControllerCore& core, EventHistory& history, std::function<TimeMs()> wall_now);
  Status listen(const wire::Endpoint& ep);

  // The answer to one request (exposed for tests and the fuzzer; no I/O but the log
  // and, on success, one history row). A refusal comes before this returns; a good
  // token's certificate once the log has committed the spend.
  using Answer = std::function<void(wire::EnrolReply)>;
  void answer(const wire::EnrolRequest& req, const std::string& remote, Answer done);

 private:
  void handle(const std::shared_ptr<wire::Session>& s);
  wire::EnrolReply refuse(const std::string& remote, const std::string& why_logged, const std::string& told);

  wire::asio::io_context& io_;
  std::shared_ptr<wire::Listener> listener_;
  pki::KeyCert ca_;
  ControllerCore& core_;
  EventHistory& history_;
  std::function<TimeMs()> wall_now_;
  LogThrottle refusals_log_{10'000};
};

}  // namespace poolha::controller
