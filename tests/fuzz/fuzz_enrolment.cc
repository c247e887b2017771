// The enrolment port's one request (EnrolmentService::answer), from anyone: no client
// certificate, so nothing here is authenticated until the token checks out. A refusal
// writes nothing (no history row).
#include <unistd.h>

#include <filesystem>

#include "controller/enrolment_service.h"
#include "tests/fuzz/quiet.h"
#include "wire/frame.h"

namespace {

struct EnrolFixture {
  boost::asio::io_context io;
  std::unique_ptr<poolha::store::SqliteDb> db;
  std::unique_ptr<poolha::controller::TokenStore> tokens;
  std::unique_ptr<poolha::controller::EventHistory> history;
  std::unique_ptr<poolha::controller::EnrolmentService> service;
  std::string token;

  EnrolFixture() {
    using namespace poolha;
    const std::string dir = "/tmp/poolha-fuzz-enrol-" + std::to_string(getpid());
    std::filesystem::create_directories(dir);
    auto ca = *pki::create_ca("fuzz", 30);
    auto server = *pki::issue(ca, "ctl1", pki::Role::Controller, {"127.0.0.1"}, {}, 30);
    (void)pki::write_file_atomic(dir + "/ctl1.crt", server.cert_pem, 0644);
    (void)pki::write_file_atomic(dir + "/ctl1.key", server.key_pem, 0600);
    db = std::move(*store::SqliteDb::open(":memory:"));
    tokens = std::move(*controller::TokenStore::open(*db));
    history = std::move(*controller::EventHistory::open(*db));
    token = *tokens->mint("h7", 3600);
    service = std::make_unique<controller::EnrolmentService>(
        io, *wire::enrol_server_context(dir + "/ctl1.crt", dir + "/ctl1.key"), ca, *tokens, *history);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolha;
  fuzz::quiet_logs();
  static EnrolFixture f;
  auto env = wire::decode_body(std::string(reinterpret_cast<const char*>(data), size));
  if (!env.ok() || !env->has_enrol_request()) return 0;
  auto req = env->enrol_request();
  if (req.token() == "TOKEN") req.set_token(f.token);  // seeds may name the real token
  const size_t rows_before = f.history->query({"", "", 10000})->size();
  auto reply = f.service->answer(req, "198.18.0.9");
  if (!reply.error().empty() && f.history->query({"", "", 10000})->size() != rows_before) __builtin_trap();
  return 0;
}
