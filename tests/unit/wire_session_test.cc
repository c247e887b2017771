// wire/session over real TLS on loopback: the Hello exchange, messages both ways,
// and the refusals SPEC §7 asks for — a peer with the wrong role or no valid
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

class WireSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = make_pki();
    auto ctx = mutual_tls_context(pki_.server, true);
    ASSERT_TRUE(ctx.ok()) << ctx.error();
    listener_ = std::make_shared<Listener>(io_, *ctx, Listener::Options{{pki::Role::Agent}, "ctl1", Millis(2000), Millis(2000)});
    listener_->on_hello([this](const std::shared_ptr<Session>& s, const Hello& h) {
      hellos_.push_back(h.node_id());
      s->start(
          [this, s](Envelope&& e) {
            ++server_messages_;
            if (e.has_heartbeat()) {
              Envelope echo;
              echo.mutable_heartbeat()->set_seq(e.heartbeat().seq());
              s->send(echo);
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
    auto ctx = mutual_tls_context(files, false);
    EXPECT_TRUE(ctx.ok());
    Hello hello;
    hello.set_protocol_version(version);
    hello.set_node_id(name);
    std::optional<Expected<std::shared_ptr<Session>>> result;
    connect(io_, *ctx, {"127.0.0.1", listener_->port()}, &hello, pki::Role::Controller, Millis(2000), Millis(2000),
            [&](Expected<std::shared_ptr<Session>> s, const HelloAck&) { result = std::move(s); });
    for (int i = 0; i < 400 && !result; ++i) io_.run_for(std::chrono::milliseconds(5));
    EXPECT_TRUE(result.has_value());
    return result ? *result : Expected<std::shared_ptr<Session>>::Error("no result");
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
