// A REST request as the routes see it (the transport has done TLS, HTTP parsing and
// the certificate check), and the response they give. No sockets.
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace poolha::controller {

struct ApiRequest {
  std::string method;
  std::string target;  // path and query
  std::string body;
  // The CN of the client's operator certificate (checked against the CA and the
  // revocations); none for a browser, which signs in with a password.
  std::optional<std::string> certificate;
  std::string source;  // the client's address
  std::string cookie;  // the Cookie header
  std::string csrf;    // the X-CSRF-Token header
  std::string reason;  // X-Poolha-Reason, decoded: why the operator does this
  std::string ticket;  // X-Poolha-Ticket, decoded: the change ticket (变更单号)
  int64_t wall_ms = 0;   // when it arrived, wall clock (what the audit trail shows)
  int64_t local_ms = 0;  // the same, on this member's monotonic clock (idle timeouts)
};

struct ApiResponse {
  int status = 200;
  nlohmann::json body;
  std::string location;   // a redirect's target (standby -> active controller)
  bool deferred = false;  // internal: the reply comes later, through the callback
  std::string content_type;  // set for a body that is not JSON (then in `text`)
  std::string text;
  std::vector<std::pair<std::string, std::string>> headers;  // Set-Cookie, Content-Disposition
  // GET /v1/stream, authorized: the server turns the connection into an event stream
  // (controller/live_feed.h) for this session (its id hash; empty for a certificate).
  bool stream = false;
  std::string stream_session;
};

inline ApiResponse api_error(int status, std::string message, std::string code = "") {
  nlohmann::json body{{"error", std::move(message)}};
  if (!code.empty()) body["code"] = std::move(code);
  return {status, std::move(body)};
}

}  // namespace poolha::controller
