#include "controller/route_permissions.h"

#include "controller/request_parts.h"

namespace poolha::controller {

namespace {

using access::Permission;
using P = Permission;

}  // namespace

const std::vector<RoutePermission>& route_permissions() {
  static const std::vector<RoutePermission> table = {
      // The cluster's state and history.
      {"GET", "/v1/status", Gate::Permission, P::View},
      {"GET", "/v1/cluster", Gate::Permission, P::View, true},
      {"GET", "/v1/events", Gate::Permission, P::View},
      {"GET", "/v1/settings", Gate::Permission, P::View},
      {"GET", "/v1/templates", Gate::Permission, P::View},
      {"GET", "/v1/defaults", Gate::Permission, P::View},
      {"GET", "/v1/stream", Gate::Permission, P::View},
      // Operations on running services.
      {"POST", "/v1/rules/*/switchover", Gate::Permission, P::Operate},
      {"POST", "/v1/rules/*/failback", Gate::Permission, P::Operate},
      {"POST", "/v1/rules/*/resume", Gate::Permission, P::Operate},
      {"POST", "/v1/rules/*/freeze", Gate::Permission, P::Operate},
      {"POST", "/v1/pools/*/freeze", Gate::Permission, P::Operate},
      {"POST", "/v1/nodes/*/maintenance", Gate::Permission, P::Operate},
      {"POST", "/v1/groups/*/switchover", Gate::Permission, P::Operate},
      // Configuration.
      {"PUT", "/v1/settings", Gate::Permission, P::Configure},
      {"POST", "/v1/apply", Gate::Permission, P::Configure},
      {"PUT", "/v1/pools/*", Gate::Permission, P::Configure},
      {"DELETE", "/v1/pools/*", Gate::Permission, P::Configure},
      {"PUT", "/v1/nodes/*", Gate::Permission, P::Configure},
      {"DELETE", "/v1/nodes/*", Gate::Permission, P::Configure},
      {"PUT", "/v1/rules/*", Gate::Permission, P::Configure},
      {"DELETE", "/v1/rules/*", Gate::Permission, P::Configure},
      {"PUT", "/v1/templates/*", Gate::Permission, P::Configure},
      {"DELETE", "/v1/templates/*", Gate::Permission, P::Configure},
      // The control plane and new agents.
      {"POST", "/v1/cluster/transfer", Gate::Permission, P::Members},
      {"POST", "/v1/cluster/members", Gate::Permission, P::Members},
      {"POST", "/v1/tokens", Gate::Permission, P::Tokens},
      // Credentials.
      {"GET", "/v1/certificates", Gate::Permission, P::Revoke},
      {"POST", "/v1/certificates/revoke", Gate::Permission, P::Revoke},
      // Signing in, and one's own account.
      {"POST", "/v1/login", Gate::Public, P::Self},
      {"POST", "/v1/logout", Gate::Permission, P::Self},
      {"GET", "/v1/me", Gate::Permission, P::Self},
      {"POST", "/v1/password", Gate::Permission, P::Self},
      // Accounts, policy and sessions.
      {"POST", "/v1/users/bootstrap", Gate::Bootstrap, P::Accounts},
      {"GET", "/v1/users", Gate::Permission, P::Accounts},
      {"POST", "/v1/users", Gate::Permission, P::Accounts},
      {"PUT", "/v1/users/*", Gate::Permission, P::Accounts},
      {"DELETE", "/v1/users/*", Gate::Permission, P::Accounts},
      {"POST", "/v1/users/*/reset-password", Gate::Permission, P::Accounts},
      {"POST", "/v1/users/*/unlock", Gate::Permission, P::Accounts},
      {"GET", "/v1/policy", Gate::Permission, P::Accounts},
      {"PUT", "/v1/policy", Gate::Permission, P::Accounts},
      {"GET", "/v1/sessions", Gate::Permission, P::Sessions},
      {"DELETE", "/v1/sessions/*", Gate::Permission, P::Sessions},
      {"POST", "/v1/sessions/rotate-key", Gate::Permission, P::Sessions},
      // The audit trail.
      {"GET", "/v1/audit", Gate::Permission, P::Audit},
      {"GET", "/v1/audit/chain", Gate::Permission, P::Audit, true},
      {"GET", "/v1/audit/export", Gate::Permission, P::Audit},
  };
  return table;
}

const RoutePermission* find_route(const std::string& method, const std::string& path) {
  const auto got = split_path(path);
  const RoutePermission* best = nullptr;
  for (const auto& r : route_permissions()) {
    if (method != r.method) continue;
    const auto want = split_path(r.pattern);
    if (want.size() != got.size()) continue;
    bool match = true, literal = true;
    for (size_t i = 0; i < want.size() && match; ++i) {
      if (want[i] == "*") literal = false;
      else match = want[i] == got[i];
    }
    if (!match) continue;
    // "/v1/users/bootstrap" before "/v1/users/*": a literal segment wins.
    if (!best || literal) best = &r;
  }
  return best;
}

}  // namespace poolha::controller
