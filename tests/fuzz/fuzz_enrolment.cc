// The enrolment port's one request (EnrolmentService::answer), from anyone: no client
// certificate, so nothing here is authenticated until the token checks out. A refusal
// writes nothing (no history row, no log entry). The token is in the replicated state
// of a one-voter controller core (tests/fuzz/controller_fixture.h).
#include <unistd.h>

#include <filesystem>

#include "controller/enrolment_service.h"
#include "tests/fuzz/controller_fixture.h"
#include "tests/fuzz/quiet.h"
#include "wire/frame.h"

namespace {

struct EnrolFixture {
  static constexpr int64_t kWallMs = 1'780'000'000'000;
  boost::asio::io_context io;
  poolha::fuzz::ControllerFixture cluster;
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
    token = pki::new_token();
    (void)testing::command_now(*cluster.core,
                               controller::LogEntry(access::MintEnrolToken{pki::hash_token(token), "h7", kWallMs + 3'600'000},
                                                    testing::test_actor("admin", kWallMs)));
    service = std::make_unique<controller::EnrolmentService>(
        io, *wire::enrol_server_context(dir + "/ctl1.crt", dir + "/ctl1.key"), ca, *cluster.core, *cluster.history,
        [] { return kWallMs; });
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
  const size_t rows_before = f.cluster.history->query({"", "", 10000})->size();
  const uint64_t index_before = f.cluster.core->log_index();
  bool answered = false;
  f.service->answer(req, "198.18.0.9", [&](const wire::EnrolReply& reply) {
    answered = true;
    // A refusal writes nothing: no history row, no log entry.
    if (!reply.error().empty() && (f.cluster.history->query({"", "", 10000})->size() != rows_before ||
                                   f.cluster.core->log_index() != index_before))
      __builtin_trap();
  });
  if (!answered) __builtin_trap();  // the one-voter log commits at once: every request has its answer
  return 0;
}
