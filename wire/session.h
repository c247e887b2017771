// Mutually authenticated TLS sessions carrying framed Envelopes (design §7), in the
// Beast "advanced server" idiom: one object per connection, each async step a named
// member, a timeout on every stage, one fail() path that closes only that session.
//
// Threading: every object here lives on one io_context run by one thread; handlers
// are called on that thread. Nothing blocks.
//
// Connection life: TCP connect -> TLS handshake (peer certificate verified against
// the cluster CA, its role checked) -> Hello/HelloAck (protocol version, the Hello's
// node_id must equal the certificate's CN) -> Envelopes both ways. A peer that sends
// nothing for `idle_timeout` is dropped, so a dead peer is noticed even without FIN.
#pragma once
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp misses it under GCC 12

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "common/net_address.h"
#include "common/status.h"
#include "wire/connection_gate.h"
#include "wire/frame.h"
#include "wire/pki.h"

namespace poolha::wire {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Millis = std::chrono::milliseconds;

// Frames queued for a peer beyond this mean it is not reading: the session is closed.
inline constexpr size_t kMaxQueuedBytes = 8u << 20;

// The TLS policy every poolha endpoint uses (one place: session.cc's base context).
inline constexpr char kTlsCipherSuites[] = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
inline constexpr char kTlsGroups[] = "X25519:P-256:P-384";

struct TlsFiles {
  std::string ca_file;    // the cluster CA certificate
  std::string cert_file;  // this member's certificate
  std::string key_file;   // its private key
};

// A TLS context that presents cert/key and requires and verifies the peer's
// certificate against the CA (both directions). Error names the file that failed.
Expected<std::shared_ptr<asio::ssl::context>> mutual_tls_context(const TlsFiles& files, bool server);
// The REST API's server side: as mutual_tls_context, but a client certificate is asked
// for and not required (a browser has none; one that is sent must verify).
Expected<std::shared_ptr<asio::ssl::context>> api_server_context(const TlsFiles& files);
// Enrolment port: the server presents its certificate, the client has none yet.
Expected<std::shared_ptr<asio::ssl::context>> enrol_server_context(const std::string& cert_file, const std::string& key_file);
Expected<std::shared_ptr<asio::ssl::context>> enrol_client_context(const std::string& ca_file);

class Session : public std::enable_shared_from_this<Session> {
 public:
  using Stream = asio::ssl::stream<tcp::socket>;
  using OnMessage = std::function<void(Envelope&&)>;
  using OnClose = std::function<void(const std::string& why)>;

  Session(Stream stream, Millis idle_timeout);
  ~Session();

  // Starts the read loop; on_close is called once, whatever ends the session.
  void start(OnMessage on_message, OnClose on_close);
  // Queues a frame; dropped silently once the session is closed.
  void send(const Envelope& e);
  void close(const std::string& why);
  // Like close, but frames still queued in the kernel are discarded (TCP reset), so a
  // peer never receives them late; for reports that have become false.
  void abort(const std::string& why);
  bool is_open() const { return open_; }

  // The peer's verified identity (empty name on an enrolment session).
  const pki::Identity& peer() const { return peer_; }
  const std::string& remote() const { return remote_; }
  const std::string& remote_address() const { return remote_address_; }  // without the port
  // Bytes queued but not yet written: lets a sender shed load from a stuck peer.
  size_t queued_bytes() const { return queued_bytes_; }

  // Used by Listener/connect only.
  Stream& stream() { return stream_; }
  // The listener's admission of this connection (ConnectionGate): held for the
  // session's life, so the port's connection count includes it.
  void hold_admission(std::shared_ptr<void> token) { admission_ = std::move(token); }
  void set_peer(pki::Identity id) { peer_ = std::move(id); }
  // The largest frame this session accepts (default kMaxFrameBytes). Member links
  // raise it so a consensus snapshot fits; call before start().
  void set_max_frame(uint32_t bytes) { max_frame_ = bytes; }
  // Reads one frame and hands it (or the error) to `done`, once. The session keeps
  // `done` until then, so `done` must hold the session (or its owner) weakly.
  void read_one(Millis timeout, std::function<void(Expected<Envelope>)> done);

 private:
  void read_header();
  void on_header(boost::system::error_code ec, size_t n);
  void on_body(boost::system::error_code ec, size_t n);
  void write_next();
  void on_write(boost::system::error_code ec, size_t n);
  void arm_idle();
  void fail(const std::string& why);

  Stream stream_;
  Millis idle_timeout_;
  Millis configured_idle_;
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_read_;
  std::array<unsigned char, 4> header_{};
  std::string body_;
  std::deque<std::string> out_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool open_ = true;
  bool closed_notified_ = false;
  OnMessage on_message_;
  OnClose on_close_;
  std::function<void(Expected<Envelope>)> one_shot_;
  pki::Identity peer_{"", pki::Role::Agent, ""};
  std::string remote_;
  std::string remote_address_;
  uint32_t max_frame_ = kMaxFrameBytes;
  std::shared_ptr<void> admission_;
};

// Accepts connections, completes TLS and (unless `raw`) the Hello exchange, and
// hands each ready session to the owner. `roles` are the certificate roles allowed
// in; anyone else is disconnected after the handshake.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Returns "" to accept the Hello, else the error sent back before closing.
  using OnHello = std::function<std::string(const std::shared_ptr<Session>&, const Hello&)>;
  using OnRaw = std::function<void(const std::shared_ptr<Session>&)>;

  struct Options {
    std::set<pki::Role> roles;
    std::string member_id;  // sent in HelloAck
    Millis handshake_timeout{3000};
    Millis idle_timeout{3000};
    uint32_t max_frame = kMaxFrameBytes;  // after the Hello (see Session::set_max_frame)
    // Before the peer is known: the Hello (or a raw port's request). A Hello with an
    // agent's facts is a few KiB.
    uint32_t pre_auth_max_frame = kMaxPreAuthFrameBytes;
    GateLimits gate;  // admission before authentication (connection_gate.h)
    // Gets at most one line per 10 s summing up refused connections (for the log).
    std::function<void(const std::string&)> on_refusals;
    // True for a certificate an operator revoked (the replicated denylist): refused
    // after the TLS handshake like a wrong role.
    std::function<bool(const pki::Identity&)> revoked;
  };

  Listener(asio::io_context& io, std::shared_ptr<asio::ssl::context> ctx, Options opts);
  // Binds and starts accepting; error names the address.
  Status listen(const std::string& host, uint16_t port);
  void on_hello(OnHello f) { on_hello_ = std::move(f); }
  // Enrolment port: no client certificate, no Hello; the owner reads the request.
  void on_raw(OnRaw f) { on_raw_ = std::move(f); }
  uint16_t port() const;
  void stop();

 private:
  void accept_next();
  void on_accept(boost::system::error_code ec, tcp::socket sock);
  void on_tls(const std::shared_ptr<Session>& s, std::shared_ptr<asio::steady_timer> t, boost::system::error_code ec,
              std::shared_ptr<void> handshake);

  asio::io_context& io_;
  std::shared_ptr<asio::ssl::context> ctx_;
  Options opts_;
  tcp::acceptor acceptor_;
  std::shared_ptr<ConnectionGate> gate_;
  OnHello on_hello_;
  OnRaw on_raw_;
};

using net::Endpoint;  // common/net_address.h, as is parse_endpoint
using net::parse_endpoint;

// Who the server must be: its certificate's role and, when known, its name (CN). A
// configured member's name is always known: an address that leads to anyone else
// (another member, a retired one, an impostor with some cluster certificate) is
// refused, not warned about (issue 9 §3).
struct PeerCheck {
  PeerCheck(std::nullopt_t) {}                                   // NOLINT: implicit by design
  PeerCheck(pki::Role r) : role(r) {}                            // NOLINT
  PeerCheck(pki::Role r, std::string n) : role(r), name(std::move(n)) {}
  PeerCheck(std::optional<pki::Role> r, std::string n) : role(r), name(std::move(n)) {}
  std::optional<pki::Role> role;
  std::string name;  // empty: any name
};

// Connects, completes TLS and the Hello exchange (unless hello is null: enrolment)
// within `timeout`, and checks the server's certificate against `want`.
// done(error) or done(session, ack).
using OnConnected = std::function<void(Expected<std::shared_ptr<Session>>, const HelloAck&)>;
void connect(asio::io_context& io, std::shared_ptr<asio::ssl::context> ctx, const Endpoint& ep,
             const Hello* hello, PeerCheck want, Millis timeout, Millis idle_timeout, OnConnected done);

// The peer certificate of a completed handshake as an Identity (already verified
// by OpenSSL against the CA during the handshake).
Expected<pki::Identity> peer_identity(Session::Stream& stream);
Expected<pki::Identity> peer_identity_of(SSL* ssl);  // same, for other stream types (Beast)

}  // namespace poolha::wire
