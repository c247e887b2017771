#include "controller/api_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <deque>

#include "common/json_text.h"
#include "common/utf8.h"
#include "controller/request_parts.h"

namespace poolha::controller {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

constexpr size_t kBodyLimit = 1 << 20;
constexpr auto kTimeout = std::chrono::seconds(10);

class ApiSession : public std::enable_shared_from_this<ApiSession> {
 public:
  ApiSession(wire::tcp::socket sock, wire::asio::ssl::context& ctx, ApiRoutes& routes, const StaticAssets* assets,
             LiveFeed* feed, wire::ConnectionGate::Admission a)
      : stream_(std::move(sock), ctx), routes_(routes), assets_(assets), feed_(feed),
        connection_(std::move(a.connection)), handshake_(std::move(a.handshake)) {}
  ~ApiSession() {
    if (feed_ && feed_id_) feed_->unsubscribe(feed_id_);
  }

  void run() {
    beast::get_lowest_layer(stream_).expires_after(kTimeout);
    stream_.async_handshake(wire::asio::ssl::stream_base::server,
                            beast::bind_front_handler(&ApiSession::on_handshake, shared_from_this()));
  }

 private:
  void on_handshake(error_code ec) {
    handshake_.reset();
    if (ec) return fail("TLS", ec);
    // A client certificate is optional (browsers sign in with a password); one that
    // is presented has been verified against the cluster CA and must be an operator's.
    if (X509* cert = SSL_get1_peer_certificate(stream_.native_handle())) {
      X509_free(cert);
      auto id = wire::peer_identity_of(stream_.native_handle());
      if (!id.ok() || id->role != pki::Role::Operator) {
        spdlog::warn("API: refused a client certificate that is not an operator's ({})",
                     id.ok() ? "role " + pki::to_string(id->role) : id.error());
        return close();
      }
      if (routes_.revoked(*id)) {
        spdlog::warn("API: refused {}: its certificate (serial {}) is revoked", id->common_name, id->serial);
        return close();
      }
      certificate_ = id->common_name;
    }
    error_code peer_ec;
    const auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(peer_ec);
    source_ = peer_ec ? "?" : peer.address().to_string();
    read();
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    beast::get_lowest_layer(stream_).expires_after(kTimeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&ApiSession::on_read, shared_from_this()));
  }

  void on_read(error_code ec, size_t) {
    if (ec == http::error::end_of_stream) return close();
    if (ec == http::error::body_limit) return reply_error(413, "body larger than 1 MiB");
    if (ec) return fail("read", ec);
    const auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    // The console's files: any GET outside /v1/ (no sign-in needed to load the page).
    const std::string target(req.target());
    if (req.method() == http::verb::get && target.rfind("/v1/", 0) != 0) {
      std::optional<ApiResponse> file;
      if (assets_)
        file = assets_->get(target.substr(0, target.find('?')), std::string(req[http::field::accept_encoding]),
                            std::string(req[http::field::if_none_match]), std::string(req[http::field::accept]));
      return respond(file ? std::move(*file) : api_error(404, "no such file (the console is at /)"));
    }
    // A handler that throws (a bug) costs this request, never the controller: the
    // client gets 500 and the log says which request it was.
    try {
      routes_.handle(request_of(req), [self = shared_from_this()](ApiResponse r) {
        if (r.stream) return self->start_stream(r.stream_session);
        self->respond(std::move(r));
      });
    } catch (const std::exception& e) {
      spdlog::error("API {} {} from {}: internal error: {}", std::string(req.method_string()),
                    text::log_safe(std::string(req.target())), certificate_.value_or(source_), text::log_safe(e.what()));
      if (!responding_) reply_error(500, "internal error (logged on the controller); nothing was changed by this request");
    }
  }

  // The request as the routes see it: who (certificate or cookie), from where, why.
  ApiRequest request_of(const http::request<http::string_body>& req) const {
    ApiRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.body = req.body();
    r.certificate = certificate_;
    r.source = source_;
    r.cookie = std::string(req[http::field::cookie]);
    r.csrf = std::string(req["X-CSRF-Token"]);
    r.reason = text::clean_text(percent_decode(std::string(req["X-Poolha-Reason"])), 512);
    r.ticket = text::clean_text(percent_decode(std::string(req["X-Poolha-Ticket"])), 128);
    r.wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
    r.local_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now().time_since_epoch()).count();
    return r;
  }

  // GET /v1/stream, authorized: Server-Sent Events until the client goes, the session
  // ends or the stream falls too far behind. No Content-Length and no chunking: the
  // body ends when the connection does, as text/event-stream allows.
  void start_stream(const std::string& session) {
    if (!feed_) return respond(api_error(503, "no live feed on this controller"));
    streaming_ = true;
    keep_alive_ = false;
    beast::get_lowest_layer(stream_).expires_never();
    std::weak_ptr<ApiSession> weak = shared_from_this();
    queue_.push_back(
        "HTTP/1.1 200 OK\r\nServer: poolha-controller\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
        "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\nX-Content-Type-Options: nosniff\r\n"
        "Connection: close\r\n\r\n");
    queued_bytes_ = queue_.back().size();
    feed_id_ = feed_->subscribe(
        [weak](const std::string& text) {
          auto self = weak.lock();
          return self && self->enqueue(text);
        },
        session);
    if (!feed_id_) {
      queue_.clear();
      streaming_ = false;
      return respond(api_error(503, "too many live streams on this controller; try again later"));
    }
    if (!writing_) write_next();
    // Reading on detects the client going away (and ignores whatever it sends).
    read_to_close();
  }

  bool enqueue(const std::string& text) {
    if (closed_ || queued_bytes_ + text.size() > kMaxStreamQueue) return false;
    queue_.push_back(text);
    queued_bytes_ += text.size();
    if (!writing_) write_next();
    return true;
  }

  void write_next() {
    if (queue_.empty() || closed_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    wire::asio::async_write(stream_, wire::asio::buffer(queue_.front()),
                            [self = shared_from_this()](error_code ec, size_t) {
                              self->queued_bytes_ -= self->queue_.front().size();
                              self->queue_.pop_front();
                              if (ec) {
                                self->closed_ = true;
                                return self->fail("stream", ec);
                              }
                              beast::get_lowest_layer(self->stream_).expires_never();
                              self->write_next();
                            });
  }

  void read_to_close() {
    stream_.async_read_some(wire::asio::buffer(sink_), [self = shared_from_this()](error_code ec, size_t) {
      if (ec) {
        self->closed_ = true;
        if (self->feed_ && self->feed_id_) self->feed_->unsubscribe(self->feed_id_);
        self->feed_id_ = 0;
        return;
      }
      self->read_to_close();
    });
  }

  void reply_error(int status, const std::string& msg) {
    keep_alive_ = false;
    respond(api_error(status, msg));
  }

  void respond(ApiResponse r) {
    responding_ = true;
    res_ = {};
    if (!r.location.empty()) res_.set(http::field::location, r.location);
    res_.result(static_cast<http::status>(r.status));
    res_.version(11);
    res_.set(http::field::server, "poolha-controller");
    res_.set(http::field::content_type, r.content_type.empty() ? "application/json" : r.content_type);
    res_.set("X-Content-Type-Options", "nosniff");
    bool cache_set = false, csp_set = false;
    for (const auto& [k, v] : r.headers) {
      res_.insert(k, v);
      cache_set = cache_set || k == "Cache-Control";
      csp_set = csp_set || k == "Content-Security-Policy";
    }
    // API answers are never cached and never run as anything but data.
    if (!cache_set) res_.set(http::field::cache_control, "no-store");
    if (!csp_set) {
      ApiResponse h;
      StaticAssets::add_security_headers(h);
      for (const auto& [k, v] : h.headers) res_.insert(k, v);
    }
    res_.keep_alive(keep_alive_);
    res_.body() = r.content_type.empty() ? json_text(r.body) : std::move(r.text);
    res_.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(kTimeout);
    http::async_write(stream_, res_, beast::bind_front_handler(&ApiSession::on_write, shared_from_this()));
  }

  void on_write(error_code ec, size_t) {
    responding_ = false;
    if (ec) return fail("write", ec);
    if (!keep_alive_) return close();
    read();
  }

  void close() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](error_code) {
      error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().close(ignored);
    });
  }

  void fail(const char* what, error_code ec) {
    if (ec != wire::asio::ssl::error::stream_truncated && ec != beast::error::timeout)
      spdlog::debug("API {}: {}", what, ec.message());
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  ApiRoutes& routes_;
  const StaticAssets* assets_;
  LiveFeed* feed_;
  // A live stream (GET /v1/stream): what waits to be written, and its bound.
  static constexpr size_t kMaxStreamQueue = 16u << 20;
  uint64_t feed_id_ = 0;
  bool streaming_ = false, writing_ = false, closed_ = false;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  std::array<char, 512> sink_{};
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::optional<std::string> certificate_;  // the operator certificate's CN, if one was presented
  std::string source_;
  bool keep_alive_ = false;
  bool responding_ = false;  // a response is being written (a handler answered before it threw)
  std::shared_ptr<void> connection_;  // the gate counts this connection while it lives
  std::shared_ptr<void> handshake_;   // ... and its TLS handshake until it ends
};

}  // namespace

ApiServer::ApiServer(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> ctx, ApiRoutes& routes,
                     const StaticAssets* assets, LiveFeed* feed)
    : io_(io), ctx_(std::move(ctx)), routes_(routes), assets_(assets), feed_(feed), acceptor_(io) {}

Status ApiServer::listen(const wire::Endpoint& ep) {
  error_code ec;
  wire::tcp::endpoint tep(wire::asio::ip::make_address(ep.host, ec), ep.port);
  if (!ec) acceptor_.open(tep.protocol(), ec);
  if (!ec) acceptor_.set_option(wire::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(tep, ec);
  if (!ec) acceptor_.listen(wire::asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Error("API listen on " + ep.str() + ": " + ec.message());
  accept_next();
  return Status::Ok();
}

void ApiServer::accept_next() {
  acceptor_.async_accept(
      [self = shared_from_this()](error_code ec, wire::tcp::socket sock) { self->on_accept(ec, std::move(sock)); });
}

void ApiServer::on_accept(error_code ec, wire::tcp::socket sock) {
  if (ec == wire::asio::error::operation_aborted) return;
  if (ec) {
    // Out of file descriptors (EMFILE) and the like: wait instead of spinning the
    // event loop that carries heartbeats and Raft.
    auto t = std::make_shared<wire::asio::steady_timer>(io_, std::chrono::milliseconds(100));
    t->async_wait([self = shared_from_this(), t](error_code) { self->accept_next(); });
    return;
  }
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch()).count();
  const auto peer = sock.remote_endpoint(ec);
  auto admission = gate_->admit(ec ? std::string("?") : peer.address().to_string(), now_ms);
  if (admission.refusal != wire::ConnectionGate::Refusal::None) {
    sock.set_option(wire::asio::socket_base::linger(true, 0), ec);
    sock.close(ec);
    if (auto line = gate_->report(now_ms)) spdlog::warn("API: {}", *line);
    return accept_next();
  }
  std::make_shared<ApiSession>(std::move(sock), *ctx_, routes_, assets_, feed_, std::move(admission))->run();
  accept_next();
}

}  // namespace poolha::controller
