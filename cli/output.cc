// Where poolhactl's output goes: results on stdout, errors on stderr (docs/cli.md).
#include <cstdio>

#include "cli/commands.h"
#include "common/json_text.h"

namespace poolha::cli {

int fail(const std::string& message) {
  std::fprintf(stderr, "poolhactl: error: %s\n", message.c_str());
  return kExitFailed;
}

int usage(const std::string& message) {
  std::fprintf(stderr, "poolhactl: %s\n(poolhactl --help lists the commands; poolhactl COMMAND --help explains one)\n",
               message.c_str());
  return kExitUsage;
}

void print_json(const Json& j) { std::printf("%s\n", json_text(j, 2).c_str()); }

int api_fail(const std::string& what, const ApiResult& r) {
  if (r.failure != ApiFailure::Http) return fail(what + ": " + r.error);
  std::string next;
  switch (r.status) {
    case 400:
    case 409:
    case 422:
      next = "fix the request and run the command again";
      break;
    case 401:
    case 403:
      next = "the controller refused the operator certificate for this; use a certificate with role operator "
             "(poolhactl cert issue --role operator) via --tls-dir";
      break;
    case 404:
      next = "check the id (poolhactl status lists what exists) and that --api points at a controller of this version";
      break;
    case 503:
      next = "the controller is not acting (standby or without quorum); retry, or use the active controller's address";
      break;
    default:
      next = r.status >= 500 ? "the controller failed; check its log (journalctl -u poolha-controller) and retry"
                             : "check the command and retry";
  }
  return fail(what + ": " + r.error + " (HTTP " + std::to_string(r.status) + "); " + next);
}

}  // namespace poolha::cli

namespace poolha::cli {

std::optional<Json> call_api(Context& c, const std::string& what, const std::string& method, const std::string& target,
                             const Json& body, int* rc) {
  ApiClient client(c.api);
  ApiResult r = client.call(method, target, body);
  if (!r.ok()) {
    int code = api_fail(what, r);
    if (rc) *rc = code;
    return std::nullopt;
  }
  return r.body.is_null() ? Json::object() : r.body;
}

int act(Context& c, const std::string& what, const std::string& method, const std::string& target, const Json& body,
        const std::string& done) {
  int rc = kExitFailed;
  auto res = call_api(c, what, method, target, body, &rc);
  if (!res) return rc;
  if (c.json)
    print_json(*res);
  else
    std::printf("%s\n", done.c_str());
  return kExitOk;
}

}  // namespace poolha::cli
