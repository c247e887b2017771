// Everything an agent (or a member) can say to the controller core: a sequence of
// Envelopes, each fed where the daemon feeds it (Hello facts, heartbeats, results,
// arbiter answers, member sightings), at advancing times. Nothing may crash, and the
// state must stay serializable (json_text never throws, but the log must hold JSON).

#include "common/json_text.h"
#include "common/utf8.h"
#include "controller/api_routes.h"
#include "rules/json_codec.h"
#include "tests/fuzz/controller_fixture.h"
#include "tests/support/api_request.h"
#include "tests/fuzz/quiet.h"
#include "tests/fuzz/records.h"
#include "wire/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolha;
  fuzz::quiet_logs();
  fuzz::ControllerFixture f;
  fuzz::Records in(data, size);
  fuzz::Record rec;
  static const char* kNodes[] = {"h1", "h2", "h3", "stranger"};
  // tag: bits 0-1 the sender, bits 2-7 the time since the last message (x 50 ms).
  for (int step = 0; step < 64 && in.next(&rec); ++step) {
    const std::string node = kNodes[rec.tag & 3];
    f.clock += (rec.tag >> 2) * 50;
    auto env = wire::decode_body(std::string(rec.payload));
    if (!env.ok()) {
      f.core->on_timer(f.clock, 600);
      continue;
    }
    switch (env->body_case()) {
      case wire::Envelope::kHello: f.core->on_agent_hello(node, env->hello().facts(), f.clock); break;
      case wire::Envelope::kHeartbeat: f.core->on_heartbeat(node, env->heartbeat(), f.clock); break;
      case wire::Envelope::kResult: f.core->on_result(node, env->result(), f.clock); break;
      case wire::Envelope::kArbiterAnswer:
        f.core->on_arbiter_answer(env->arbiter_answer().node_id(), true, env->arbiter_answer().sees(),
                                  env->arbiter_answer().ms_since_heard(), f.clock);
        break;
      case wire::Envelope::kMemberSightings:
        f.core->on_member_sightings(node, {env->member_sightings().unheard().begin(), env->member_sightings().unheard().end()},
                                    f.clock);
        break;
      default: f.core->on_timer(f.clock, 600); break;
    }
  }
  // What operators read back must be valid text.
  controller::ApiRoutes routes(*f.core, *f.history, false, "ctl", [&] { return f.clock; });
  for (const char* target : {"/v1/status", "/v1/events?limit=1000"})
    routes.handle(testing::cert_request("GET", target, "", "fuzz"), [](controller::ApiResponse r) {
      if (!text::is_valid_utf8(json_text(r.body))) __builtin_trap();
    });
  return 0;
}
