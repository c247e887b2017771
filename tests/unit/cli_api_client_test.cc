// Tests for cli::ApiClient against a throwaway HTTPS server in the test process:
// mutual TLS with certificates from the cluster CA, the controller-role check,
// error bodies, the 8 MiB response limit, step timeouts and connection reuse.
#include "cli/api_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "wire/pki.h"
#include "wire/session.h"

namespace poolha::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Handler = std::function<Response(const Request&)>;

// A CA with a controller, an agent and an operator certificate in a temp directory.
class Pki {
 public:
  Pki() {
    dir_ = std::filesystem::temp_directory_path() / ("poolhactl-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    auto ca = pki::create_ca("test", 30);
    EXPECT_TRUE(ca.ok());
    write("ca", *ca);
    for (auto [name, role] : {std::pair{"ctl1", pki::Role::Controller}, {"n1", pki::Role::Agent},
                              {"operator", pki::Role::Operator}}) {
      auto kc = pki::issue(*ca, name == std::string("operator") ? "admin" : name, role, {"127.0.0.1"}, {}, 30);
      EXPECT_TRUE(kc.ok());
      write(name, *kc);
    }
  }
  ~Pki() { std::filesystem::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  std::string file(const std::string& n) const { return (dir_ / n).string(); }

 private:
  void write(const std::string& name, const pki::KeyCert& kc) {
    ASSERT_TRUE(pki::write_file_atomic(file(name + ".key"), kc.key_pem, 0600).ok());
    ASSERT_TRUE(pki::write_file_atomic(file(name + ".crt"), kc.cert_pem, 0644).ok());
  }
  std::filesystem::path dir_;
};

const Pki& test_pki() {
  static const Pki p;
  return p;
}

// Serves one connection at a time on its own thread with blocking Beast calls.
class TestServer {
 public:
  TestServer(const std::string& cert_name, Handler handler) : handler_(std::move(handler)) {
    const Pki& p = test_pki();
    auto ctx = wire::mutual_tls_context({p.file("ca.crt"), p.file(cert_name + ".crt"), p.file(cert_name + ".key")},
                                        /*server=*/true);
    EXPECT_TRUE(ctx.ok());
    ctx_ = *ctx;
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    thread_ = std::thread([this] { serve(); });
  }
  ~TestServer() {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ec);  // unblocks accept()
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  int connections() const { return connections_; }
  int requests() const { return requests_; }
  std::string last_client_cn() const { return last_cn_; }
  Request last_request() const { return last_; }

 private:
  void serve() {
    while (!stopping_) {
      boost::system::error_code ec;
      tcp::socket sock = acceptor_.accept(ec);
      if (ec || stopping_) break;
      ++connections_;
      asio::ssl::stream<tcp::socket> stream(std::move(sock), *ctx_);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (ec) continue;
      auto id = wire::peer_identity(stream);
      last_cn_ = id.ok() ? id->common_name : "";
      beast::flat_buffer buf;
      for (;;) {
        Request req;
        http::read(stream, buf, req, ec);
        if (ec) break;
        ++requests_;
        last_ = req;
        Response res = handler_(req);
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        http::write(stream, res, ec);
        if (ec || !res.keep_alive()) break;
      }
    }
  }

  Handler handler_;
  asio::io_context io_;
  std::shared_ptr<asio::ssl::context> ctx_;
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::string last_cn_;
  Request last_;
};

Response json_response(unsigned status, const Json& body) {
  Response res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  res.body() = body.dump();
  return res;
}

ApiOptions options(const std::string& api) {
  ApiOptions o;
  o.api = api;
  o.tls_dir = test_pki().dir();
  o.step_timeout = std::chrono::milliseconds(2000);
  return o;
}

TEST(ApiClient, GetsJsonOverMutualTls) {
  TestServer server("ctl1", [](const Request& req) {
    return json_response(200, {{"controller", "ctl1"}, {"target", std::string(req.target())}});
  });
  ApiClient client(options(server.address()));
  ApiResult r = client.call("GET", "/v1/status");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body["controller"], "ctl1");
  EXPECT_EQ(r.body["target"], "/v1/status");
  EXPECT_EQ(server.last_client_cn(), "admin");
}

TEST(ApiClient, SendsJsonBodies) {
  TestServer server("ctl1", [](const Request&) { return json_response(200, {{"applied", 3}}); });
  ApiClient client(options(server.address()));
  ApiResult r = client.call("POST", "/v1/rules/r%201/switchover", {{"target", "n2"}, {"forced", true}});
  ASSERT_TRUE(r.ok()) << r.error;
  Request req = server.last_request();
  EXPECT_EQ(req.method(), http::verb::post);
  EXPECT_EQ(req.target(), "/v1/rules/r%201/switchover");
  EXPECT_EQ(req[http::field::content_type], "application/json");
  EXPECT_EQ(Json::parse(req.body()), Json({{"target", "n2"}, {"forced", true}}));
}

TEST(ApiClient, ErrorBodyMessageIsReported) {
  TestServer server("ctl1", [](const Request&) { return json_response(409, {{"error", "rules[2] (r3): pool p9 does not exist"}}); });
  ApiClient client(options(server.address()));
  ApiResult r = client.call("POST", "/v1/apply", Json::object());
  EXPECT_EQ(r.failure, ApiFailure::Http);
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(r.error, "rules[2] (r3): pool p9 does not exist");
}

TEST(ApiClient, NonJsonErrorBodyIsShownAsText) {
  TestServer server("ctl1", [](const Request&) {
    Response res{http::status::bad_gateway, 11};
    res.body() = "upstream down";
    return res;
  });
  ApiClient client(options(server.address()));
  ApiResult r = client.call("GET", "/v1/status");
  EXPECT_EQ(r.failure, ApiFailure::Http);
  EXPECT_EQ(r.status, 502u);
  EXPECT_EQ(r.error, "upstream down");
}

TEST(ApiClient, RefusesAServerThatIsNotAController) {
  TestServer server("n1", [](const Request&) { return json_response(200, Json::object()); });
  ApiClient client(options(server.address()));
  ApiResult r = client.call("GET", "/v1/status");
  EXPECT_EQ(r.failure, ApiFailure::Transport);
  EXPECT_NE(r.error.find("role agent, not a controller"), std::string::npos) << r.error;
  EXPECT_EQ(server.requests(), 0);
}

TEST(ApiClient, RefusesBodiesOver8MiB) {
  TestServer server("ctl1", [](const Request&) {
    Response res{http::status::ok, 11};
    res.body() = std::string(kMaxResponseBodyBytes + 1, 'x');
    return res;
  });
  ApiClient client(options(server.address()));
  ApiResult r = client.call("GET", "/v1/events");
  EXPECT_EQ(r.failure, ApiFailure::Transport);
  EXPECT_NE(r.error.find("larger than 8 MiB"), std::string::npos) << r.error << " status " << r.status;
}

TEST(ApiClient, EveryStepTimesOut) {
  TestServer server("ctl1", [](const Request&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    return json_response(200, Json::object());
  });
  ApiOptions o = options(server.address());
  o.step_timeout = std::chrono::milliseconds(200);
  ApiClient client(o);
  const auto t0 = std::chrono::steady_clock::now();
  ApiResult r = client.call("GET", "/v1/status");
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.failure, ApiFailure::Transport);
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
  EXPECT_LT(ms, 700);
}

TEST(ApiClient, UnreachableControllerSaysWhatToCheck) {
  std::string addr;
  {
    TestServer server("ctl1", [](const Request&) { return json_response(200, Json::object()); });
    addr = server.address();
  }  // closed: nothing listens there now
  ApiClient client(options(addr));
  ApiResult r = client.call("GET", "/v1/status");
  EXPECT_EQ(r.failure, ApiFailure::Transport);
  EXPECT_NE(r.error.find("cannot reach the controller API at " + addr), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("POOLHA_API"), std::string::npos) << r.error;
}

TEST(ApiClient, MissingTlsFilesNameTheFileAndTheFix) {
  ApiOptions o = options("127.0.0.1:1");
  o.tls_dir = "/nonexistent-poolha-tls";
  ApiClient client(o);
  ApiResult r = client.call("GET", "/v1/status");
  EXPECT_EQ(r.failure, ApiFailure::Setup);
  EXPECT_NE(r.error.find("/nonexistent-poolha-tls/ca.crt"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("POOLHA_TLS_DIR"), std::string::npos) << r.error;
}

TEST(ApiClient, ReusesTheConnectionForPolling) {
  TestServer server("ctl1", [](const Request&) { return json_response(200, {{"ok", true}}); });
  ApiClient client(options(server.address()));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client.call("GET", "/v1/status").ok());
  EXPECT_EQ(server.requests(), 5);
  EXPECT_EQ(server.connections(), 1);
}

TEST(ApiClient, ReconnectsWhenTheServerClosedAKeptConnection) {
  TestServer server("ctl1", [](const Request&) {
    Response res = json_response(200, {{"ok", true}});
    return res;
  });
  ApiClient client(options(server.address()));
  ASSERT_TRUE(client.call("GET", "/v1/status").ok());
  ASSERT_TRUE(client.call("GET", "/v1/status").ok());
  EXPECT_GE(server.connections(), 1);
}

TEST(ApiAddress, UrlEncodesIds) {
  EXPECT_EQ(url_encode("r1-a_b.c~"), "r1-a_b.c~");
  EXPECT_EQ(url_encode("a b/c?d&e"), "a%20b%2Fc%3Fd%26e");
}

}  // namespace
}  // namespace poolha::cli
