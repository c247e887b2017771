#include "cli/api_client.h"

#include <cctype>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/json_text.h"
#include "common/net_address.h"
#include "wire/pki.h"
#include "wire/session.h"

namespace poolha::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string describe(const error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  // OpenSSL's reason string is more useful than asio's category text.
  if (ec.category() == asio::error::get_ssl_category()) {
    std::string r = ec.message();
    if (!r.empty()) return "TLS: " + r;
  }
  return ec.message();
}

}  // namespace

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

ApiClient::ApiClient(ApiOptions opts) : opts_(std::move(opts)) {}

ApiClient::~ApiClient() = default;

template <class Start>
error_code ApiClient::run_step(Start&& start) {
  std::optional<error_code> result;
  start([&result](error_code ec, auto&&...) { result = ec; });
  io_.restart();
  io_.run();
  return result.value_or(asio::error::operation_aborted);
}

Status ApiClient::setup() {
  if (ctx_) return Status::Ok();
  auto ep = net::parse_endpoint_or_name(opts_.api, "API address");
  if (!ep.ok()) return ep.status();
  host_ = ep->host;
  port_ = std::to_string(ep->port);
  const std::string& d = opts_.tls_dir;
  wire::TlsFiles files{d + "/ca.crt", d + "/operator.crt", d + "/operator.key"};
  const std::string where_tls = "; pass --tls-dir or set POOLHA_TLS_DIR to a directory holding ca.crt, "
                                "operator.crt and operator.key (poolhactl ca init creates them)";
  // The TLS context's own error for a missing file is only "asio.ssl error".
  for (const std::string* f : {&files.ca_file, &files.cert_file, &files.key_file})
    if (auto r = pki::read_file(*f, pki::kMaxPemBytes); !r.ok()) return Status::Error(r.error() + where_tls);
  auto ctx = wire::mutual_tls_context(files, /*server=*/false);
  if (!ctx.ok())
    return Status::Error(ctx.error() + where_tls);
  ctx_ = *ctx;
  return Status::Ok();
}

void ApiClient::drop_connection() {
  if (stream_) {
    error_code ignored;
    beast::get_lowest_layer(*stream_).socket().close(ignored);
  }
  stream_.reset();
  used_ = false;
}

Status ApiClient::connect() {
  drop_connection();
  const std::string where = "controller API at " + opts_.api;
  const std::string hint = "; check --api / POOLHA_API and that poolha-controller is running there";
  // Resolve (an address literal resolves at once; a name goes through the resolver).
  tcp::resolver::results_type endpoints;
  {
    tcp::resolver resolver(io_);
    asio::steady_timer guard(io_, opts_.step_timeout);
    bool timed_out = false;
    guard.async_wait([&](error_code ec) {
      if (!ec) {
        timed_out = true;
        resolver.cancel();
      }
    });
    error_code rec;
    resolver.async_resolve(host_, port_, [&](error_code ec, tcp::resolver::results_type r) {
      rec = ec;
      endpoints = std::move(r);
      guard.cancel();
    });
    io_.restart();
    io_.run();
    if (timed_out) return Status::Error("cannot resolve " + host_ + ": timed out" + hint);
    if (rec) return Status::Error("cannot resolve " + host_ + ": " + rec.message() + hint);
  }
  stream_ = std::make_unique<Stream>(io_, *ctx_);
  auto& tcp_layer = beast::get_lowest_layer(*stream_);
  tcp_layer.expires_after(opts_.step_timeout);
  if (auto ec = run_step([&](auto h) { tcp_layer.async_connect(endpoints, std::move(h)); }); ec) {
    drop_connection();
    return Status::Error("cannot reach the " + where + ": " + describe(ec) + hint);
  }
  tcp_layer.expires_after(opts_.step_timeout);
  if (auto ec = run_step([&](auto h) { stream_->async_handshake(asio::ssl::stream_base::client, std::move(h)); }); ec) {
    drop_connection();
    return Status::Error("TLS handshake with the " + where + " failed: " + describe(ec) +
                         "; check that the controller's certificate is signed by " + opts_.tls_dir +
                         "/ca.crt and that operator.crt is signed by the same CA");
  }
  auto id = wire::peer_identity_of(stream_->native_handle());
  if (!id.ok()) {
    drop_connection();
    return Status::Error("the " + where + " presented an unreadable certificate: " + id.error());
  }
  if (id->role != pki::Role::Controller) {
    const std::string role = pki::to_string(id->role);
    drop_connection();
    return Status::Error("the server at " + opts_.api + " is '" + id->common_name + "' with role " + role +
                         ", not a controller; point --api / POOLHA_API at the controller's API address");
  }
  return Status::Ok();
}

ApiResult ApiClient::call(const std::string& method, const std::string& target, const Json& body) {
  ApiResult r;
  if (auto st = setup(); !st.ok()) {
    r.failure = ApiFailure::Setup;
    r.error = st.error();
    return r;
  }
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    r.failure = ApiFailure::Setup;
    r.error = "unknown HTTP method " + method;
    return r;
  }
  // Only a GET may be sent again on a fresh connection after a kept-alive one failed.
  if (stream_ && used_ && verb != http::verb::get) drop_connection();
  const bool reused = stream_ != nullptr;
  if (!stream_) {
    if (auto st = connect(); !st.ok()) {
      r.failure = ApiFailure::Transport;
      r.error = st.error();
      return r;
    }
  }
  r = exchange(verb, target, body);
  if (r.failure == ApiFailure::Transport && reused && verb == http::verb::get) {
    if (auto st = connect(); !st.ok()) {
      r.error = st.error();
      return r;
    }
    r = exchange(verb, target, body);
  }
  // A standby controller answers 307 with the active one's API: follow it once (the
  // request did nothing on the standby, so sending it again is safe).
  const std::string prefix = "https://";
  if (r.ok() && r.status == 307 && r.location.rfind(prefix, 0) == 0) {
    const std::string rest = r.location.substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash != std::string::npos && slash > 0) {
      drop_connection();
      auto ep = net::parse_endpoint_or_name(rest.substr(0, slash), "redirect");
      if (!ep.ok()) {
        r.failure = ApiFailure::BadResponse;
        r.error = "the standby redirected to " + r.location + ", which is not host:port";
        return r;
      }
      opts_.api = rest.substr(0, slash);
      host_ = ep->host;
      port_ = std::to_string(ep->port);
      if (auto st = connect(); !st.ok()) {
        r.failure = ApiFailure::Transport;
        r.error = "following the standby's redirect: " + st.error();
        return r;
      }
      r = exchange(verb, rest.substr(slash), body);
    }
  }
  return r;
}

ApiResult ApiClient::exchange(http::verb verb, const std::string& target, const Json& body) {
  ApiResult r;
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, opts_.api);
  req.set(http::field::user_agent, "poolhactl/" POOLHA_VERSION);
  req.set(http::field::accept, "application/json");
  req.keep_alive(true);
  if (!opts_.reason.empty()) req.set("X-Poolha-Reason", url_encode(opts_.reason));
  if (!opts_.ticket.empty()) req.set("X-Poolha-Ticket", url_encode(opts_.ticket));
  if (!body.is_null()) {
    req.set(http::field::content_type, "application/json");
    req.body() = json_text(body);
  }
  req.prepare_payload();

  const std::string where = " the controller API at " + opts_.api;
  auto& tcp_layer = beast::get_lowest_layer(*stream_);
  used_ = true;
  tcp_layer.expires_after(opts_.step_timeout);
  if (auto ec = run_step([&](auto h) { http::async_write(*stream_, req, std::move(h)); }); ec) {
    drop_connection();
    r.failure = ApiFailure::Transport;
    r.error = "sending " + target + " to" + where + ": " + describe(ec) + "; retry, or check the controller's log";
    return r;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBodyBytes);
  tcp_layer.expires_after(opts_.step_timeout);
  auto ec = run_step([&](auto h) { http::async_read_header(*stream_, buffer, parser, std::move(h)); });
  // Checked here as well: Beast 1.74's async_read let a Content-Length over the
  // parser's body_limit through in our tests (the limit still applies to chunked bodies).
  if (!ec && parser.content_length() && *parser.content_length() > kMaxResponseBodyBytes) ec = http::error::body_limit;
  if (!ec && !parser.is_done()) {
    tcp_layer.expires_after(opts_.step_timeout);
    ec = run_step([&](auto h) { http::async_read(*stream_, buffer, parser, std::move(h)); });
  }
  if (ec) {
    drop_connection();
    r.failure = ApiFailure::Transport;
    if (ec == http::error::body_limit)
      r.error = "the answer to " + target + " from" + where + " is larger than 8 MiB; narrow the request (e.g. events --limit)";
    else
      r.error = "reading the answer to " + target + " from" + where + ": " + describe(ec) +
                "; retry, or check the controller's log";
    return r;
  }
  auto res = parser.release();
  if (!res.keep_alive()) drop_connection();
  r.status = res.result_int();
  r.location = std::string(res[http::field::location]);
  const std::string& text = res.body();
  r.text = text;
  const bool json = std::string(res[http::field::content_type]).rfind("application/json", 0) == 0 ||
                    res[http::field::content_type].empty();
  if (!text.empty() && json) {
    r.body = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (r.body.is_discarded()) {
      r.body = Json();
      if (r.status < 400) {
        r.failure = ApiFailure::BadResponse;
        r.error = "the answer to " + target + " from" + where + " is not JSON (HTTP " + std::to_string(r.status) +
                  "); is --api pointing at the poolha controller's API port?";
        return r;
      }
    }
  }
  if (r.status >= 400) {
    r.failure = ApiFailure::Http;
    if (r.body.is_object() && r.body.contains("error") && r.body["error"].is_string())
      r.error = r.body["error"].get<std::string>();
    else
      r.error = text.empty() ? std::string(res.reason()) : text.substr(0, 300);
  }
  return r;
}

}  // namespace poolha::cli
