// What agents and controllers can say to the arbiter (ArbiterDaemon::handle), as a
// sequence from either role and any name, with the leader changing under it.

#include <cstdlib>

#include "arbiter/daemon.h"
#include "tests/fuzz/quiet.h"
#include "tests/fuzz/records.h"
#include "wire/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolha;
  fuzz::quiet_logs();
  static boost::asio::io_context io;
  arbiter::ArbiterDaemon::LeaderView leader{"ctl-a", 3};
  arbiter::ArbiterDaemon daemon(io, arbiter::ArbiterConfig{"arb1"});
  daemon.follow_leader([&] { return leader; });
  fuzz::Records in(data, size);
  fuzz::Record rec;
  static const char* kPeers[] = {"ctl-a", "ctl-b", "h1", "h2", "", "arb1", "h1\x1b[31m", "ctl-a"};
  // tag: bit 7 set: the leader changes (bits 0-2 its name, payload its term as text);
  // else bit 3 the role (controller/agent), bits 0-2 the peer's name.
  for (int step = 0; step < 32 && in.next(&rec); ++step) {
    if (rec.tag & 0x80) {
      leader = {kPeers[rec.tag & 7], std::strtoull(std::string(rec.payload).c_str(), nullptr, 10)};
      continue;
    }
    const auto role = (rec.tag & 8) ? pki::Role::Controller : pki::Role::Agent;
    auto env = wire::decode_body(std::string(rec.payload));
    if (!env.ok()) continue;
    auto r = daemon.handle(role, kPeers[rec.tag & 7], *env);
    if (r.send) (void)wire::encode_frame(*r.send);
  }
  return 0;
}
