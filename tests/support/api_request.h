// REST requests for tests and fuzzers that drive controller::ApiRoutes without sockets.
#pragma once
#include <string>

#include "controller/api_types.h"

namespace poolha::testing {

// A request from an operator certificate with CN `cn` (poolhactl).
inline controller::ApiRequest cert_request(std::string method, std::string target, std::string body = "",
                                           std::string cn = "admin", int64_t wall_ms = 1'780'000'000'000) {
  controller::ApiRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  r.certificate = std::move(cn);
  r.source = "198.18.0.100";
  r.wall_ms = wall_ms;
  r.local_ms = 1000;
  return r;
}

// A request from a browser: no certificate, the session cookie and CSRF token given.
inline controller::ApiRequest browser_request(std::string method, std::string target, std::string body = "",
                                              std::string session = "", std::string csrf = "",
                                              int64_t wall_ms = 1'780'000'000'000, int64_t local_ms = 1000) {
  controller::ApiRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  if (!session.empty()) r.cookie = "poolha_session=" + session;
  r.csrf = std::move(csrf);
  r.source = "198.18.0.101";
  r.wall_ms = wall_ms;
  r.local_ms = local_ms;
  return r;
}

}  // namespace poolha::testing
