#include "wire/session.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/utf8.h"

namespace poolha::wire {

namespace {

using boost::system::error_code;

// Every peer is poolha (issue 9 §4): TLS 1.3 only, its AEAD suites only, modern
// groups, no session tickets (nothing to resume across restarts), no compression.
Expected<std::shared_ptr<asio::ssl::context>> base_context(bool server) {
  auto ctx = std::make_shared<asio::ssl::context>(server ? asio::ssl::context::tls_server
                                                         : asio::ssl::context::tls_client);
  SSL_CTX* c = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) != 1 || SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) != 1)
    return Expected<std::shared_ptr<asio::ssl::context>>::Error("TLS: cannot require TLS 1.3");
  if (SSL_CTX_set_ciphersuites(c, kTlsCipherSuites) != 1)
    return Expected<std::shared_ptr<asio::ssl::context>>::Error("TLS: cannot set the cipher suites");
  if (SSL_CTX_set1_groups_list(c, kTlsGroups) != 1)
    return Expected<std::shared_ptr<asio::ssl::context>>::Error("TLS: cannot set the key exchange groups");
  SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  return ctx;
}

Status load(asio::ssl::context& ctx, const std::string& what, const std::string& file,
            const std::function<void(error_code&)>& f) {
  if (file.empty()) return Status::Error(what + ": no file configured");
  if (what == "private key")
    if (auto st = pki::check_private_key_file(file); !st.ok()) return st;
  error_code ec;
  f(ec);
  if (ec) return Status::Error(what + " '" + file + "': " + ec.message());
  (void)ctx;
  return Status::Ok();
}

}  // namespace

Expected<std::shared_ptr<asio::ssl::context>> mutual_tls_context(const TlsFiles& files, bool server) {
  auto ctx = base_context(server);
  if (!ctx.ok()) return ctx;
  auto& c = **ctx;
  if (auto st = load(c, "CA certificate", files.ca_file, [&](error_code& ec) { c.load_verify_file(files.ca_file, ec); }); !st.ok())
    return st;
  if (auto st = load(c, "certificate", files.cert_file,
                     [&](error_code& ec) { c.use_certificate_chain_file(files.cert_file, ec); });
      !st.ok())
    return st;
  if (auto st = load(c, "private key", files.key_file,
                     [&](error_code& ec) { c.use_private_key_file(files.key_file, asio::ssl::context::pem, ec); });
      !st.ok())
    return st;
  c.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  return ctx;
}

Expected<std::shared_ptr<asio::ssl::context>> api_server_context(const TlsFiles& files) {
  auto ctx = mutual_tls_context(files, true);
  if (ctx.ok()) (*ctx)->set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

Expected<std::shared_ptr<asio::ssl::context>> enrol_server_context(const std::string& cert_file, const std::string& key_file) {
  auto ctx = base_context(true);
  if (!ctx.ok()) return ctx;
  auto& c = **ctx;
  if (auto st = load(c, "certificate", cert_file, [&](error_code& ec) { c.use_certificate_chain_file(cert_file, ec); }); !st.ok())
    return st;
  if (auto st = load(c, "private key", key_file,
                     [&](error_code& ec) { c.use_private_key_file(key_file, asio::ssl::context::pem, ec); });
      !st.ok())
    return st;
  c.set_verify_mode(asio::ssl::verify_none);
  return ctx;
}

Expected<std::shared_ptr<asio::ssl::context>> enrol_client_context(const std::string& ca_file) {
  auto ctx = base_context(false);
  if (!ctx.ok()) return ctx;
  auto& c = **ctx;
  if (auto st = load(c, "CA certificate", ca_file, [&](error_code& ec) { c.load_verify_file(ca_file, ec); }); !st.ok())
    return st;
  c.set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

Expected<pki::Identity> peer_identity(Session::Stream& stream) { return peer_identity_of(stream.native_handle()); }

Expected<pki::Identity> peer_identity_of(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return Expected<pki::Identity>::Error("peer presented no certificate");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  X509_free(cert);
  return pki::identity_of(pem);
}

// ---------------------------------------------------------------- Session

Session::Session(Stream stream, Millis idle_timeout)
    : stream_(std::move(stream)), idle_timeout_(idle_timeout), configured_idle_(idle_timeout), idle_timer_(stream_.get_executor()) {
  error_code ec;
  auto ep = stream_.lowest_layer().remote_endpoint(ec);
  remote_address_ = ec ? "?" : ep.address().to_string();
  remote_ = ec ? "?" : remote_address_ + ":" + std::to_string(ep.port());
}

Session::~Session() = default;

void Session::start(OnMessage on_message, OnClose on_close) {
  on_message_ = std::move(on_message);
  on_close_ = std::move(on_close);
  idle_timeout_ = configured_idle_;
  last_read_ = std::chrono::steady_clock::now();
  arm_idle();
  read_header();
}

void Session::read_one(Millis timeout, std::function<void(Expected<Envelope>)> done) {
  one_shot_ = std::move(done);
  idle_timeout_ = timeout;
  last_read_ = std::chrono::steady_clock::now();
  arm_idle();
  read_header();
}

void Session::arm_idle() {
  idle_timer_.expires_after(idle_timeout_);
  idle_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || !self->open_) return;
    const auto silent = std::chrono::steady_clock::now() - self->last_read_;
    if (silent >= self->idle_timeout_) {
      self->fail("nothing heard for " + std::to_string(self->idle_timeout_.count()) + " ms");
      return;
    }
    self->arm_idle();
  });
}

void Session::read_header() {
  asio::async_read(stream_, asio::buffer(header_),
                   [self = shared_from_this()](error_code ec, size_t n) { self->on_header(ec, n); });
}

void Session::on_header(error_code ec, size_t) {
  if (ec) return fail(ec == asio::error::eof ? "closed by peer" : "read: " + ec.message());
  auto n = decode_length(header_, max_frame_);
  if (!n.ok()) return fail(n.error());
  // The buffer grows as bytes arrive: a peer that announces a large frame and sends
  // nothing costs nothing (and is dropped by the idle timer).
  body_.clear();
  asio::async_read(stream_, asio::dynamic_buffer(body_, *n), asio::transfer_exactly(*n),
                   [self = shared_from_this()](error_code e, size_t m) { self->on_body(e, m); });
}

void Session::on_body(error_code ec, size_t) {
  if (ec) return fail("read: " + ec.message());
  last_read_ = std::chrono::steady_clock::now();
  auto env = decode_body(body_);
  if (one_shot_) {
    auto f = std::move(one_shot_);
    one_shot_ = nullptr;
    f(std::move(env));
    return;  // the owner calls start() (or closes) next
  }
  if (!env.ok()) return fail(env.error());
  // Called through a copy: the handler may close this session, which drops on_message_.
  // A handler that throws (a bug, or input no check foresaw) costs this session only:
  // the peer reconnects, the process and every other session carry on.
  if (auto handler = on_message_) {
    const char* what_body = body_name(*env);
    try {
      handler(std::move(*env));
    } catch (const std::exception& e) {
      return fail(std::string("internal error handling ") + what_body + ": " + text::log_safe(e.what()));
    } catch (...) {
      return fail(std::string("internal error handling ") + what_body);
    }
  }
  if (open_) read_header();
}

void Session::send(const Envelope& e) {
  if (!open_) return;
  // A peer that stops reading must not make us buffer without bound (or delay what
  // we owe everyone else): past the cap it is dropped like any other bad peer.
  if (queued_bytes_ > kMaxQueuedBytes) return fail("peer is not reading (" + std::to_string(queued_bytes_) + " bytes queued)");
  out_.push_back(encode_frame(e));
  queued_bytes_ += out_.back().size();
  if (!writing_) write_next();
}

void Session::write_next() {
  if (out_.empty() || !open_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  asio::async_write(stream_, asio::buffer(out_.front()),
                    [self = shared_from_this()](error_code ec, size_t n) { self->on_write(ec, n); });
}

void Session::on_write(error_code ec, size_t) {
  if (ec) return fail("write: " + ec.message());
  queued_bytes_ -= out_.front().size();
  out_.pop_front();
  write_next();
}

void Session::close(const std::string& why) { fail(why); }

void Session::abort(const std::string& why) {
  error_code ignored;
  stream_.lowest_layer().set_option(asio::socket_base::linger(true, 0), ignored);
  if (open_) {
    // No shutdown (it would flush): closing with linger 0 resets the connection.
    open_ = false;
    idle_timer_.cancel();
    stream_.lowest_layer().close(ignored);
  }
  fail(why);
}

void Session::fail(const std::string& why) {
  if (open_) {
    open_ = false;
    idle_timer_.cancel();
    error_code ignored;
    stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.lowest_layer().close(ignored);
  }
  if (one_shot_) {
    auto f = std::move(one_shot_);
    one_shot_ = nullptr;
    f(Expected<Envelope>::Error(why));
  }
  if (!closed_notified_) {
    closed_notified_ = true;
    if (on_close_) {
      auto f = std::move(on_close_);
      on_close_ = nullptr;
      on_message_ = nullptr;
      f(why);
    }
  }
}

// ---------------------------------------------------------------- Listener

Listener::Listener(asio::io_context& io, std::shared_ptr<asio::ssl::context> ctx, Options opts)
    : io_(io), ctx_(std::move(ctx)), opts_(std::move(opts)), acceptor_(io), gate_(ConnectionGate::make(opts_.gate)) {}

Status Listener::listen(const std::string& host, uint16_t port) {
  error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return Status::Error("listen address '" + host + "': " + ec.message());
  tcp::endpoint ep(addr, port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Error("listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  accept_next();
  return Status::Ok();
}

uint16_t Listener::port() const {
  error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void Listener::stop() {
  error_code ignored;
  acceptor_.close(ignored);
}

void Listener::accept_next() {
  acceptor_.async_accept([self = shared_from_this()](error_code ec, tcp::socket sock) { self->on_accept(ec, std::move(sock)); });
}

void Listener::on_accept(error_code ec, tcp::socket sock) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // E.g. out of file descriptors: retry shortly instead of spinning the event loop.
    auto t = std::make_shared<asio::steady_timer>(io_, Millis(100));
    t->async_wait([self = shared_from_this(), t](error_code) { self->accept_next(); });
    return;
  }
  const auto now_ms =
      std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now().time_since_epoch()).count();
  const auto peer = sock.remote_endpoint(ec);
  auto admission = gate_->admit(ec ? std::string("?") : peer.address().to_string(), now_ms);
  if (admission.refusal != ConnectionGate::Refusal::None) {
    // Closed before a TLS byte is read; a reset frees the descriptor at once.
    sock.set_option(asio::socket_base::linger(true, 0), ec);
    sock.close(ec);
    if (auto line = gate_->report(now_ms); line && opts_.on_refusals) opts_.on_refusals(*line);
    return accept_next();
  }
  sock.set_option(tcp::no_delay(true), ec);
  auto s = std::make_shared<Session>(Session::Stream(std::move(sock), *ctx_), opts_.idle_timeout);
  s->hold_admission(std::move(admission.connection));
  s->set_max_frame(opts_.pre_auth_max_frame);
  auto timer = std::make_shared<asio::steady_timer>(io_, opts_.handshake_timeout);
  timer->async_wait([s](error_code e) {
    if (!e) s->close("TLS handshake timed out");
  });
  s->stream().async_handshake(asio::ssl::stream_base::server,
                              [self = shared_from_this(), s, timer, hs = std::move(admission.handshake)](error_code e) {
                                self->on_tls(s, timer, e, hs);
                              });
  accept_next();
}

void Listener::on_tls(const std::shared_ptr<Session>& s, std::shared_ptr<asio::steady_timer> timer, error_code ec,
                      std::shared_ptr<void> handshake) {
  if (ec) {
    timer->cancel();
    s->close("TLS handshake from " + s->remote() + ": " + ec.message());
    return;
  }
  if (on_raw_) {
    timer->cancel();
    on_raw_(s);
    return;
  }
  auto id = peer_identity(s->stream());
  if (!id.ok() || !opts_.roles.count(id->role)) {
    timer->cancel();
    s->close("peer " + s->remote() + " not allowed: " + (id.ok() ? "role " + pki::to_string(id->role) : id.error()));
    return;
  }
  if (opts_.revoked && opts_.revoked(*id)) {
    timer->cancel();
    s->close("peer " + s->remote() + " not allowed: certificate of " + id->common_name + " (serial " + id->serial +
             ") is revoked");
    return;
  }
  s->set_peer(*id);
  // `handshake` counts this connection as handshaking until its Hello is judged.
  // The session keeps this callback until the Hello (or an error) arrives, so it holds
  // the session weakly: a strong capture is a cycle that outlives a stopped event loop.
  std::weak_ptr<Session> weak = s;
  s->read_one(opts_.handshake_timeout, [self = shared_from_this(), weak, timer, handshake](Expected<Envelope> env) {
    timer->cancel();
    auto live = weak.lock();
    if (!live) return;
    live->set_max_frame(self->opts_.max_frame);
    Envelope ack_env;
    auto* ack = ack_env.mutable_hello_ack();
    ack->set_protocol_version(kProtocolVersion);
    ack->set_member_id(self->opts_.member_id);
    std::string err;
    if (!env.ok()) {
      live->close(env.error());
      return;
    }
    if (!env->has_hello()) {
      err = std::string("expected hello first, got ") + body_name(*env);
    } else if (env->hello().protocol_version() != kProtocolVersion) {
      err = "protocol version " + std::to_string(env->hello().protocol_version()) + " is not supported; this member speaks " +
            std::to_string(kProtocolVersion);
    } else if (env->hello().node_id() != live->peer().common_name) {
      err = "hello names '" + env->hello().node_id() + "' but the certificate is for '" + live->peer().common_name + "'";
    } else if (self->on_hello_) {
      err = self->on_hello_(live, env->hello());
    }
    ack->set_error(err);
    live->send(ack_env);
    if (!err.empty()) {
      // Let the refusal reach the peer, then close.
      auto t = std::make_shared<asio::steady_timer>(self->io_, Millis(200));
      t->async_wait([live, t, err](error_code) { live->close("refused: " + err); });
    }
  });
}

// ---------------------------------------------------------------- connect

namespace {

struct ConnectOp : std::enable_shared_from_this<ConnectOp> {
  ConnectOp(asio::io_context& io, std::shared_ptr<asio::ssl::context> c, Millis idle)
      : ctx(std::move(c)), timer(io),
        session(std::make_shared<Session>(Session::Stream(tcp::socket(io), *ctx), idle)) {}
  std::shared_ptr<asio::ssl::context> ctx;
  asio::steady_timer timer;
  std::shared_ptr<Session> session;
  std::optional<Hello> hello;
  PeerCheck want{std::nullopt};
  OnConnected done;
  bool finished = false;
  std::string target;
  Millis hello_timeout{3000};

  void finish(Expected<std::shared_ptr<Session>> r, const HelloAck& ack = {}) {
    if (finished) return;
    finished = true;
    timer.cancel();
    if (!r.ok()) session->close(r.error());
    done(std::move(r), ack);
  }
  void fail(const std::string& why) { finish(Expected<std::shared_ptr<Session>>::Error(target + ": " + why)); }
};

}  // namespace

void connect(asio::io_context& io, std::shared_ptr<asio::ssl::context> ctx, const Endpoint& ep, const Hello* hello,
             PeerCheck want, Millis timeout, Millis idle_timeout, OnConnected done) {
  auto op = std::make_shared<ConnectOp>(io, std::move(ctx), idle_timeout);
  if (hello) op->hello = *hello;
  op->want = std::move(want);
  op->done = std::move(done);
  op->target = ep.str();
  op->hello_timeout = timeout;
  op->timer.expires_after(timeout);
  op->timer.async_wait([op, timeout](error_code ec) {
    if (!ec) op->fail("no answer within " + std::to_string(timeout.count()) + " ms");
  });
  error_code ec;
  tcp::endpoint tep(asio::ip::make_address(ep.host, ec), ep.port);
  if (ec) return op->fail(ec.message());
  op->session->stream().lowest_layer().async_connect(tep, [op](error_code e) {
    if (op->finished) return;
    if (e) return op->fail("connect: " + e.message());
    error_code ignored;
    op->session->stream().lowest_layer().set_option(tcp::no_delay(true), ignored);
    op->session->stream().async_handshake(asio::ssl::stream_base::client, [op](error_code e2) {
      if (op->finished) return;
      if (e2) return op->fail("TLS: " + e2.message());
      auto id = peer_identity(op->session->stream());
      if (!id.ok()) return op->fail(id.error());
      if (op->want.role && id->role != *op->want.role)
        return op->fail("server certificate has role " + pki::to_string(id->role) + ", expected " +
                        pki::to_string(*op->want.role));
      if (!op->want.name.empty() && id->common_name != op->want.name)
        return op->fail("server certificate is for '" + id->common_name + "', not the configured member '" +
                        op->want.name + "'; refused");
      op->session->set_peer(*id);
      if (!op->hello) return op->finish(op->session);
      Envelope env;
      *env.mutable_hello() = *op->hello;
      op->session->send(env);
      // The overall timer bounds the whole exchange; this only arms the read.
      // Held weakly (the session keeps this callback: a strong capture is a cycle); the
      // overall timer holds the operation until it finishes.
      op->session->read_one(op->hello_timeout, [weak = std::weak_ptr<ConnectOp>(op)](Expected<Envelope> r) {
        auto live = weak.lock();
        if (!live || live->finished) return;
        if (!r.ok()) return live->fail(r.error());
        if (!r->has_hello_ack()) return live->fail(std::string("expected hello_ack, got ") + body_name(*r));
        if (!r->hello_ack().error().empty()) return live->fail("refused: " + r->hello_ack().error());
        live->finish(live->session, r->hello_ack());
      });
    });
  });
}

}  // namespace poolha::wire
