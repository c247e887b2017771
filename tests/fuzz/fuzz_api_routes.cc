// REST requests (controller/api_routes.h): any method, path and body an operator
// certificate can send. A refused request changes nothing; nothing crashes.

#include "common/json_text.h"
#include "controller/api_routes.h"
#include "rules/json_codec.h"
#include "tests/fuzz/controller_fixture.h"
#include "tests/support/api_request.h"
#include "tests/fuzz/quiet.h"
#include "tests/fuzz/records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolha;
  fuzz::quiet_logs();
  fuzz::ControllerFixture f;
  controller::ApiRoutes routes(*f.core, *f.history, true, "ctl", [&] { return f.clock; });
  fuzz::Records in(data, size);
  fuzz::Record rec;
  static const char* kMethods[] = {"GET", "PUT", "POST", "DELETE", "PATCH", "GET", "POST", "PUT"};
  static const char* kPaths[] = {"/v1/status", "/v1/apply", "/v1/settings", "/v1/events?rule=r1&limit=",
                                 "/v1/pools/", "/v1/nodes/", "/v1/rules/", "/v1/rules/r1/switchover",
                                 "/v1/rules/r1/freeze", "/v1/nodes/h2/maintenance", "/v1/certificates/revoke",
                                 "/v1/certificates", "/v1/cluster/transfer", "/v1/tokens", "/v1/rules/r1/failback",
                                 "/v1/"};
  // tag: bits 0-2 the method, bits 3-6 the path; payload: "suffix\nbody".
  for (int step = 0; step < 8 && in.next(&rec); ++step) {
    const std::string method = kMethods[rec.tag & 7];
    const std::string payload(rec.payload);
    const size_t nl = payload.find('\n');
    const std::string target = kPaths[(rec.tag >> 3) & 15] + payload.substr(0, nl);
    const std::string body = nl == std::string::npos ? "" : payload.substr(nl + 1);
    const auto before = json_text(rules::to_json(f.core->state()));
    int status = 0;
    routes.handle(testing::cert_request(method, target, body, "fuzz"), [&](controller::ApiResponse r) {
      status = r.status;
      (void)json_text(r.body);
    });
    // A refusal changes nothing (clock and term included); apply commits item by item
    // and stops at the first refusal, so only its earlier items may have changed it.
    const bool apply = target.rfind("/v1/apply", 0) == 0;
    if (status >= 400 && !apply && json_text(rules::to_json(f.core->state())) != before) __builtin_trap();
  }
  return 0;
}
