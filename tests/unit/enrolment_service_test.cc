// The enrolment port's answers (controller/enrolment_service.h) against tokens in the
// replicated access state of a controller core on the real one-voter Raft log and
// SQLite: a token minted through the API enrols its node once; a refusal leaves no log
// entry and no history row. (The e2e scenario enrol_after_failover mints on one
// controller and enrols at the other.)
#include "controller/enrolment_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "access/json_codec.h"
#include "controller/api_routes.h"
#include "tests/support/api_request.h"
#include "tests/support/no_outbox.h"
#include "tests/support/one_voter_log.h"

namespace poolha::controller {
namespace {

constexpr TimeMs kWall = 1'780'000'000'000;  // as tests/support/api_request.h stamps requests

class EnrolmentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("poolha-enrol-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    ca_ = *pki::create_ca("test", 30);
    auto server = *pki::issue(ca_, "ctl1", pki::Role::Controller, {"127.0.0.1"}, {}, 30);
    ASSERT_TRUE(pki::write_file_atomic(dir_ / "ctl1.crt", server.cert_pem, 0644).ok());
    ASSERT_TRUE(pki::write_file_atomic(dir_ / "ctl1.key", server.key_pem, 0600).ok());
    routes_ = std::make_unique<ApiRoutes>(core_, history_, true, "ctl1", [] { return TimeMs{1000}; });
    service_ = std::make_unique<EnrolmentService>(
        io_, *wire::enrol_server_context(dir_ / "ctl1.crt", dir_ / "ctl1.key"), ca_, core_, history_,
        [this] { return wall_; });
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string mint(const std::string& node, int ttl_s) {
    ApiResponse got{-1, nullptr};
    routes_->handle(testing::cert_request("POST", "/v1/tokens",
                                          R"({"node": ")" + node + R"(", "ttl_s": )" + std::to_string(ttl_s) + "}"),
                    [&](ApiResponse a) { got = std::move(a); });
    EXPECT_EQ(got.status, 200) << got.body.dump();
    return got.body.value("token", "");
  }
  // The reply's error, or "cert" when it carries a certificate for `node`.
  std::string enrol(const std::string& token, const std::string& node) {
    wire::EnrolRequest req;
    req.set_node_id(node);
    req.set_token(token);
    req.set_csr_pem(*pki::make_csr(*pki::generate_key(), node));
    std::string out = "(no answer)";
    service_->answer(req, "198.18.0.9", [&](const wire::EnrolReply& r) {
      if (!r.error().empty()) {
        out = r.error();
        return;
      }
      auto id = pki::verify_identity(ca_.cert_pem, r.cert_pem());
      out = id.ok() && id->common_name == node && r.ca_pem() == ca_.cert_pem ? "cert" : "bad certificate";
    });
    return out;
  }
  size_t history_rows() { return history_.query({"", "", 10000})->size(); }

  std::filesystem::path dir_;
  pki::KeyCert ca_;
  TimeMs wall_ = kWall + 1000;
  boost::asio::io_context io_;
  testing::NoOutbox out_;
  testing::OneVoterCore one_{[] { return TimeMs{1000}; }, out_};
  ControllerCore& core_ = *one_.core;
  EventHistory& history_ = *one_.history;
  std::unique_ptr<ApiRoutes> routes_;
  std::unique_ptr<EnrolmentService> service_;
};

TEST_F(EnrolmentServiceTest, AMintedTokenEnrolsItsNodeOnce) {
  const std::string token = mint("h5", 600);
  ASSERT_EQ(token.size(), 64u);
  EXPECT_EQ(enrol(token, "h5"), "cert");
  EXPECT_EQ(core_.access().state().enrol_tokens.at(pki::hash_token(token)).used_ms, wall_);
  // The token is in the replicated state by its hash only: snapshots never hold it.
  EXPECT_EQ(access::to_json(core_.access().state()).dump().find(token), std::string::npos);
  EXPECT_NE(enrol(token, "h5").find("not valid for h5"), std::string::npos);
}

TEST_F(EnrolmentServiceTest, ARefusalWritesNothing) {
  const std::string token = mint("h5", 600);
  const uint64_t index = core_.log_index();
  const size_t rows = history_rows();
  EXPECT_NE(enrol(token, "h6").find("not valid for h6"), std::string::npos);         // another name
  EXPECT_NE(enrol(std::string(64, 'a'), "h5").find("not valid"), std::string::npos);  // unknown
  EXPECT_NE(enrol("short", "h5").find("not valid"), std::string::npos);               // malformed
  EXPECT_NE(enrol(token, "h/5").find("node_id"), std::string::npos);                  // not a node id
  wall_ = kWall + 601'000;
  EXPECT_NE(enrol(token, "h5").find("not valid for h5"), std::string::npos);  // expired
  EXPECT_EQ(core_.log_index(), index);
  EXPECT_EQ(history_rows(), rows);
  EXPECT_EQ(core_.access().state().enrol_tokens.at(pki::hash_token(token)).used_ms, 0);
}

}  // namespace
}  // namespace poolha::controller
