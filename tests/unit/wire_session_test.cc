// wire/session over real TLS on loopback: the Hello exchange, messages both ways,
// and the refusals design §7 asks for — a peer with the wrong role or no valid
// certificate gets nothing, a bad or oversized frame closes that connection only.
#include "wire/session.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace poolha::wire {
namespace {

namespace fs = std::filesystem;

struct Pki {
  fs::path dir;
  TlsFiles server, agent, arbiter, stranger;
};

TlsFiles write_pair(const fs::path& dir, const pki::KeyCert& ca, const std::string& ca_file, const std::string& name,
                    pki::Role role) {
  auto kc = pki::issue(ca, name, role, {"127.0.0.1"}, {}, 30);
  EXPECT_TRUE(kc.ok()) << (kc.ok() ? "" : kc.error());
  TlsFiles f{ca_file, (dir / (name + ".crt")).string(), (dir / (name + ".key")).string()};
  EXPECT_TRUE(pki::write_file_atomic(f.cert_file, kc->cert_pem, 0644).ok());
  EXPECT_TRUE(pki::write_file_atomic(f.key_file, kc->key_pem, 0600).ok());
  return f;
}

Pki make_pki() {
  Pki p;
  p.dir = fs::temp_directory_path() / ("poolha-wire-test-" + std::to_string(getpid()));
  fs::create_directories(p.dir);
  auto ca = pki::create_ca("test", 30);
  auto other_ca = pki::create_ca("other", 30);
  const std::string ca_file = (p.dir / "ca.crt").string();
  const std::string other_ca_file = (p.dir / "other-ca.crt").string();
  EXPECT_TRUE(pki::write_file_atomic(ca_file, ca->cert_pem, 0644).ok());
  EXPECT_TRUE(pki::write_file_atomic(other_ca_file, other_ca->cert_pem, 0644).ok());
  p.server = write_pair(p.dir, *ca, ca_file, "ctl1", pki::Role::Controller);
  p.agent = write_pair(p.dir, *ca, ca_file, "h1", pki::Role::Agent);
  p.arbiter = write_pair(p.dir, *ca, ca_file, "arb1", pki::Role::Arbiter);
  // Signed by another CA: must be refused during the handshake.
  p.stranger = write_pair(p.dir, *other_ca, ca_file, "h9", pki::Role::Agent);
  return p;
}

// Connects to 127.0.0.1:port with `files` as `name`, expecting `want`, and runs `io`
// until the outcome is known.
Expected<std::shared_ptr<Session>> dial_to(asio::io_context& io, uint16_t port, const TlsFiles& files,
                                           const std::string& name, PeerCheck want = pki::Role::Controller,
                                           uint32_t version = kProtocolVersion) {
  auto ctx = mutual_tls_context(files, false);
  EXPECT_TRUE(ctx.ok());
  Hello hello;
  hello.set_protocol_version(version);
  hello.set_node_id(name);
  std::optional<Expected<std::shared_ptr<Session>>> result;
  connect(io, *ctx, {"127.0.0.1", port}, &hello, std::move(want), Millis(2000), Millis(2000),
          [&](Expected<std::shared_ptr<Session>> s, const HelloAck&) { result = std::move(s); });
  for (int i = 0; i < 400 && !result; ++i) io.run_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(result.has_value());
  return result ? *result : Expected<std::shared_ptr<Session>>::Error("no result");
}

class WireSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = make_pki();
    auto ctx = mutual_tls_context(pki_.server, true);
    ASSERT_TRUE(ctx.ok()) << ctx.error();
    listener_ = std::make_shared<Listener>(io_, *ctx, Listener::Options{{pki::Role::Agent}, "ctl1", Millis(2000), Millis(2000)});
    listener_->on_hello([this](const std::shared_ptr<Session>& s, const Hello& h) {
      hellos_.push_back(h.node_id());
      // The session owns its handlers: they hold it weakly (a strong capture is a cycle
      // that LeakSanitizer reports for every session still open at the end).
      std::weak_ptr<Session> weak = s;
      s->start(
          [this, weak](Envelope&& e) {
            ++server_messages_;
            auto live = weak.lock();
            if (live && e.has_heartbeat()) {
              Envelope echo;
              echo.mutable_heartbeat()->set_seq(e.heartbeat().seq());
              live->send(echo);
            }
          },
          [this](const std::string& why) { server_closed_.push_back(why); });
      return std::string();
    });
    ASSERT_TRUE(listener_->listen("127.0.0.1", 0).ok());
  }
  void TearDown() override { fs::remove_all(pki_.dir); }

  // Connects with `files` and returns the outcome after running the loop.
  Expected<std::shared_ptr<Session>> dial(const TlsFiles& files, const std::string& name, uint32_t version = kProtocolVersion) {
    return dial_to(io_, listener_->port(), files, name, pki::Role::Controller, version);
  }

  void run_ms(int ms) { io_.run_for(std::chrono::milliseconds(ms)); }

  asio::io_context io_;
  Pki pki_;
  std::shared_ptr<Listener> listener_;
  std::vector<std::string> hellos_;
  std::vector<std::string> server_closed_;
  int server_messages_ = 0;
};

TEST_F(WireSessionTest, HelloThenHeartbeatEchoed) {
  const auto t0 = std::chrono::steady_clock::now();
  auto s = dial(pki_.agent, "h1");
  ASSERT_TRUE(s.ok()) << s.error();
  std::printf("connect + TLS + hello on loopback: %.1f ms\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  EXPECT_EQ((*s)->peer().common_name, "ctl1");
  std::vector<uint64_t> echoed;
  (*s)->start([&](Envelope&& e) { echoed.push_back(e.heartbeat().seq()); }, [](const std::string&) {});
  for (uint64_t i = 1; i <= 3; ++i) {
    Envelope e;
    e.mutable_heartbeat()->set_seq(i);
    e.mutable_heartbeat()->add_held_vips("198.18.0.101/24");
    (*s)->send(e);
  }
  for (int i = 0; i < 100 && echoed.size() < 3; ++i) run_ms(5);
  EXPECT_EQ(echoed, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(hellos_, std::vector<std::string>{"h1"});
}

TEST_F(WireSessionTest, WrongRoleIsRefused) {
  auto s = dial(pki_.arbiter, "arb1");  // the listener admits agents only
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(hellos_.empty());
}

TEST_F(WireSessionTest, CertificateFromAnotherCaIsRefused) {
  auto s = dial(pki_.stranger, "h9");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(hellos_.empty());
}

TEST_F(WireSessionTest, HelloNameMustMatchCertificate) {
  auto s = dial(pki_.agent, "h2");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("certificate is for 'h1'"), std::string::npos) << s.error();
}

TEST_F(WireSessionTest, OtherProtocolVersionIsRefusedWithBothNamed) {
  auto s = dial(pki_.agent, "h1", kProtocolVersion + 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("protocol version"), std::string::npos) << s.error();
}

TEST_F(WireSessionTest, OversizedFrameClosesOnlyThatConnection) {
  auto good = dial(pki_.agent, "h1");
  auto bad = dial(pki_.agent, "h1");
  ASSERT_TRUE(good.ok() && bad.ok());
  std::string closed_good;
  (*good)->start([](Envelope&&) {}, [&](const std::string& why) { closed_good = why; });
  (*bad)->start([](Envelope&&) {}, [](const std::string&) {});
  // A header announcing 16 MiB: the server must drop this session without reading it.
  const unsigned char header[4] = {0x01, 0x00, 0x00, 0x00};
  asio::write((*bad)->stream(), asio::buffer(header, 4));
  run_ms(100);
  ASSERT_FALSE(server_closed_.empty());
  EXPECT_NE(server_closed_.back().find("limit"), std::string::npos) << server_closed_.back();
  // Garbage that is not an Envelope also ends that session only.
  auto bad2 = dial(pki_.agent, "h1");
  ASSERT_TRUE(bad2.ok());
  const unsigned char junk[7] = {0x00, 0x00, 0x00, 0x03, 0xff, 0xff, 0xff};
  asio::write((*bad2)->stream(), asio::buffer(junk, 7));
  run_ms(100);
  EXPECT_NE(server_closed_.back().find("not a valid"), std::string::npos) << server_closed_.back();
  Envelope e;
  e.mutable_heartbeat()->set_seq(7);
  const int before = server_messages_;
  (*good)->send(e);
  for (int i = 0; i < 100 && server_messages_ == before; ++i) run_ms(5);
  EXPECT_EQ(server_messages_, before + 1);
  EXPECT_TRUE(closed_good.empty()) << closed_good;
}

// Issue 9 §3: an address that leads to a different member (or anyone else holding a
// certificate of this CA) is refused by name, not only by role.
TEST_F(WireSessionTest, ServerWithAnotherNameIsRefused) {
  auto result = dial_to(io_, listener_->port(), pki_.agent, "h1", PeerCheck(pki::Role::Controller, "ctl2"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().find("'ctl1', not the configured member 'ctl2'"), std::string::npos) << result.error();
}

// Before the Hello nobody is known: a frame larger than the pre-authentication limit
// (64 KiB) ends the connection at once, whatever the limit after the Hello is.
TEST_F(WireSessionTest, LargeFrameBeforeTheHelloIsRefused) {
  auto ctx = mutual_tls_context(pki_.agent, false);
  ASSERT_TRUE(ctx.ok());
  Session::Stream stream(io_, **ctx);
  stream.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), listener_->port()});
  std::optional<boost::system::error_code> shook;
  stream.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code e) { shook = e; });
  for (int i = 0; i < 400 && !shook; ++i) run_ms(5);  // the server's side runs on the same loop
  ASSERT_TRUE(shook && !*shook);
  const unsigned char header[4] = {0x00, 0x02, 0x00, 0x00};  // 128 KiB announced
  bool written = false;
  asio::async_write(stream, asio::buffer(header, 4), [&](boost::system::error_code, size_t) { written = true; });
  for (int i = 0; i < 100 && !written; ++i) run_ms(5);
  run_ms(100);
  char buf[16];
  std::optional<boost::system::error_code> read;
  stream.async_read_some(asio::buffer(buf), [&](boost::system::error_code e, size_t) { read = e; });
  for (int i = 0; i < 100 && !read; ++i) run_ms(5);
  ASSERT_TRUE(read.has_value()) << "the connection stayed open";
  EXPECT_TRUE(*read) << "the server sent data instead of closing";
  EXPECT_TRUE(hellos_.empty());
}

// A connection that finished TLS but has not sent its Hello when the event loop stops
// (shutdown, or a test ending) leaves nothing alive: the Hello wait holds the session
// weakly. A cycle here kept the session, its TLS state and the listener forever.
TEST_F(WireSessionTest, PendingHelloWaitDoesNotOutliveTheLoop) {
  std::weak_ptr<Listener> weak_listener;
  {
    asio::io_context io;
    auto ctx = mutual_tls_context(pki_.server, true);
    ASSERT_TRUE(ctx.ok());
    auto listener = std::make_shared<Listener>(io, *ctx, Listener::Options{{pki::Role::Agent}, "ctl1", Millis(2000), Millis(2000)});
    ASSERT_TRUE(listener->listen("127.0.0.1", 0).ok());
    weak_listener = listener;
    auto client_ctx = mutual_tls_context(pki_.agent, false);
    ASSERT_TRUE(client_ctx.ok());
    Session::Stream stream(io, **client_ctx);
    stream.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), listener->port()});
    std::optional<boost::system::error_code> shook;
    stream.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code e) { shook = e; });
    for (int i = 0; i < 400 && !shook; ++i) io.run_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(shook && !*shook);
    io.run_for(std::chrono::milliseconds(50));  // the server now waits for the Hello
    listener->stop();
    listener.reset();
  }
  EXPECT_TRUE(weak_listener.expired()) << "the listener outlived its event loop (a session holds it in a cycle)";
}

// Issue 9 §4: every peer is poolha, so TLS 1.2 (and its CBC/SHA-1 suites) is refused.
TEST_F(WireSessionTest, Tls12ClientIsRefused) {
  asio::ssl::context old(asio::ssl::context::tls_client);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_2_VERSION);
  old.load_verify_file(pki_.agent.ca_file);
  old.use_certificate_chain_file(pki_.agent.cert_file);
  old.use_private_key_file(pki_.agent.key_file, asio::ssl::context::pem);
  Session::Stream stream(io_, old);
  stream.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), listener_->port()});
  std::optional<boost::system::error_code> shook;
  stream.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code e) { shook = e; });
  for (int i = 0; i < 400 && !shook; ++i) run_ms(5);
  ASSERT_TRUE(shook.has_value());
  EXPECT_TRUE(*shook) << "a TLS 1.2 handshake succeeded";
  auto ok = dial(pki_.agent, "h1");  // TLS 1.3 still works
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_STREQ(SSL_get_version((*ok)->stream().native_handle()), "TLSv1.3");
}

// A handler that throws costs its session, never the process or another session.
TEST_F(WireSessionTest, AThrowingHandlerClosesOnlyItsSession) {
  auto ctx = mutual_tls_context(pki_.server, true);
  ASSERT_TRUE(ctx.ok());
  auto throwing = std::make_shared<Listener>(io_, *ctx, Listener::Options{{pki::Role::Agent}, "ctl1", Millis(2000), Millis(2000)});
  std::vector<std::string> closed;
  throwing->on_hello([&](const std::shared_ptr<Session>& s, const Hello&) {
    s->start([](Envelope&&) { throw std::runtime_error("bug in a handler"); },
             [&](const std::string& why) { closed.push_back(why); });
    return std::string();
  });
  ASSERT_TRUE(throwing->listen("127.0.0.1", 0).ok());
  auto result = dial_to(io_, throwing->port(), pki_.agent, "h1");
  ASSERT_TRUE(result.ok());
  Envelope e;
  e.mutable_heartbeat()->set_seq(1);
  (*result)->send(e);
  for (int i = 0; i < 100 && closed.empty(); ++i) EXPECT_NO_THROW(run_ms(5));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_NE(closed[0].find("internal error handling heartbeat: bug in a handler"), std::string::npos) << closed[0];
  auto other = dial(pki_.agent, "h1");  // the main listener is unaffected
  EXPECT_TRUE(other.ok());
}

// Admission before authentication (connection_gate.h), on real sockets: past the
// per-address rate a new connection is closed before any TLS, and one summary line
// reaches the log.
TEST(ListenerGate, RefusesConnectionsBeyondThePerAddressRate) {
  Pki pki = make_pki();
  asio::io_context io;
  auto ctx = mutual_tls_context(pki.server, true);
  ASSERT_TRUE(ctx.ok());
  Listener::Options o{{pki::Role::Agent}, "ctl1", Millis(2000), Millis(2000)};
  o.gate = GateLimits{1000, 64, 0.5, 3, 100};
  std::vector<std::string> lines;
  o.on_refusals = [&](const std::string& l) { lines.push_back(l); };
  auto listener = std::make_shared<Listener>(io, *ctx, o);
  ASSERT_TRUE(listener->listen("127.0.0.1", 0).ok());
  std::vector<tcp::socket> socks;
  for (int i = 0; i < 8; ++i) {
    socks.emplace_back(io);
    socks.back().connect({asio::ip::make_address("127.0.0.1"), listener->port()});
  }
  io.run_for(std::chrono::milliseconds(200));
  int refused = 0;
  for (auto& s : socks) {
    s.non_blocking(true);
    char b;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&b, 1), ec);
    refused += ec && ec != asio::error::would_block;
  }
  EXPECT_EQ(refused, 5) << "a burst of 3 is admitted, the other 5 are closed";
  ASSERT_EQ(lines.size(), 1u) << "one summary line, not one per refusal";
  EXPECT_NE(lines[0].find("over the per-address rate (last from 127.0.0.1)"), std::string::npos) << lines[0];
  fs::remove_all(pki.dir);
}

// Issue 9 §3: a revoked certificate is refused after the handshake like a wrong role.
TEST(ListenerGate, RevokedCertificateIsRefused) {
  Pki pki = make_pki();
  asio::io_context io;
  auto ctx = mutual_tls_context(pki.server, true);
  ASSERT_TRUE(ctx.ok());
  auto agent_pem = pki::read_file(pki.agent.cert_file);
  ASSERT_TRUE(agent_pem.ok());
  const std::string serial = pki::identity_of(*agent_pem)->serial;
  Listener::Options o{{pki::Role::Agent}, "ctl1", Millis(2000), Millis(2000)};
  o.revoked = [&](const pki::Identity& id) { return id.serial == serial; };
  auto listener = std::make_shared<Listener>(io, *ctx, o);
  int hellos = 0;
  listener->on_hello([&](const std::shared_ptr<Session>& s, const Hello&) {
    ++hellos;
    s->start([](Envelope&&) {}, [](const std::string&) {});
    return std::string();
  });
  ASSERT_TRUE(listener->listen("127.0.0.1", 0).ok());
  EXPECT_FALSE(dial_to(io, listener->port(), pki.agent, "h1").ok());
  EXPECT_EQ(hellos, 0);
  fs::remove_all(pki.dir);
}

TEST(ConnectionGate, CapsConnectionsHandshakesAndRatePerAddress) {
  auto g = ConnectionGate::make(GateLimits{3, 2, 1, 2, 2});
  auto a1 = g->admit("198.18.0.1", 0);
  auto a2 = g->admit("198.18.0.1", 0);
  EXPECT_EQ(a1.refusal, ConnectionGate::Refusal::None);
  EXPECT_EQ(a2.refusal, ConnectionGate::Refusal::None);
  EXPECT_EQ(g->handshaking(), 2u);
  EXPECT_EQ(g->admit("198.18.0.2", 0).refusal, ConnectionGate::Refusal::Handshakes);
  a1.handshake.reset();  // a1 is through its Hello
  EXPECT_EQ(g->admit("198.18.0.1", 0).refusal, ConnectionGate::Refusal::SourceRate) << "burst of 2 used";
  auto a3 = g->admit("198.18.0.2", 0);
  EXPECT_EQ(a3.refusal, ConnectionGate::Refusal::None);
  a2.handshake.reset();
  a3.handshake.reset();
  EXPECT_EQ(g->open(), 3u);
  EXPECT_EQ(g->admit("198.18.0.3", 0).refusal, ConnectionGate::Refusal::Connections);
  a1 = {};
  EXPECT_EQ(g->open(), 2u);
  // 198.18.0.1 earns a token back after a second; the table (2 addresses) forgets idle ones.
  auto a4 = g->admit("198.18.0.1", 1000);
  EXPECT_EQ(a4.refusal, ConnectionGate::Refusal::None);
  EXPECT_EQ(g->refused_total(), 3u);
  auto line = g->report(1000);
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find("refused 3 connection(s)"), std::string::npos) << *line;
  EXPECT_FALSE(g->report(2000).has_value()) << "nothing new";
  g.reset();  // tokens outlive the gate harmlessly
  a4 = {};
}

TEST(WireFrame, LengthLimitsAndEndpoints) {
  EXPECT_FALSE(decode_length({0, 0, 0, 0}).ok());
  EXPECT_TRUE(decode_length({0, 0x10, 0, 0}).ok());
  EXPECT_FALSE(decode_length({0, 0x10, 0, 1}).ok());
  Envelope e;
  e.mutable_arbiter_query()->set_node_id("h1");
  auto frame = encode_frame(e);
  auto back = decode_body(frame.substr(4));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->arbiter_query().node_id(), "h1");
  EXPECT_FALSE(decode_body("").ok());  // no message at all
  EXPECT_TRUE(parse_endpoint("198.18.0.1:7400").ok());
  EXPECT_TRUE(parse_endpoint("[::1]:7400").ok());
  EXPECT_FALSE(parse_endpoint("ctl1:7400").ok());
  EXPECT_FALSE(parse_endpoint("198.18.0.1:70000").ok());
  EXPECT_FALSE(parse_endpoint("198.18.0.1").ok());
}

}  // namespace
}  // namespace poolha::wire
