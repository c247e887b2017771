// HTTPS client for the controller's REST API (docs/cli.md): mutual TLS with the
// operator certificate, the server's certificate must chain to the cluster CA and
// carry role "controller". Every step (resolve, connect, TLS handshake, write, read)
// has its own timeout; a response body over 8 MiB is refused.
//
// Synchronous for the caller: each call runs a private io_context until the request
// is done. One connection is kept and reused for GET (what `wait` polls with); it is
// re-opened once if the controller closed it meanwhile. Not thread-safe.
#pragma once
#include <utility>  // before Asio/Beast (see wire/session.h)

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/status.h"

namespace poolha::cli {

using Json = nlohmann::json;

struct ApiOptions {
  std::string api = "127.0.0.1:7443";   // ADDR:PORT, [v6]:PORT or HOST:PORT
  std::string tls_dir = "/etc/poolha/tls";  // ca.crt, operator.crt, operator.key
  std::chrono::milliseconds step_timeout{5000};
  // Sent with every request (X-Poolha-Reason / X-Poolha-Ticket): why, and the change
  // ticket; the audit trail records both with the change.
  std::string reason;
  std::string ticket;
};

inline constexpr size_t kMaxResponseBodyBytes = 8u << 20;

// Why a call failed, so the caller can say what to do next.
enum class ApiFailure { None, Setup, Transport, Http, BadResponse };

struct ApiResult {
  ApiFailure failure = ApiFailure::None;
  unsigned status = 0;  // HTTP status when one was received
  Json body;            // parsed response body (null if empty or not JSON)
  std::string text;     // the body as received (a CSV export)
  std::string error;    // message when failure != None; for Http, the server's "error"
  std::string location; // a redirect's target (a standby controller names the active one)
  bool ok() const { return failure == ApiFailure::None; }
};

class ApiClient {
 public:
  explicit ApiClient(ApiOptions opts);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // method "GET", "PUT", "POST", "DELETE"; target "/v1/status"; body sent as JSON
  // when not null. A 4xx/5xx answer is failure Http with the server's message.
  ApiResult call(const std::string& method, const std::string& target, const Json& body = Json());

  const ApiOptions& options() const { return opts_; }
  void set_step_timeout(std::chrono::milliseconds t) { opts_.step_timeout = t; }

 private:
  using Stream = boost::asio::ssl::stream<boost::beast::tcp_stream>;
  Status setup();
  Status connect();
  ApiResult exchange(boost::beast::http::verb verb, const std::string& target, const Json& body);
  template <class Start>
  boost::system::error_code run_step(Start&& start);
  void drop_connection();

  ApiOptions opts_;
  boost::asio::io_context io_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  std::unique_ptr<Stream> stream_;
  std::string host_;
  std::string port_;
  bool used_ = false;  // the open connection has carried a request already
};

// Percent-encodes one path segment or query value (RFC 3986 unreserved kept).
std::string url_encode(const std::string& s);

}  // namespace poolha::cli
