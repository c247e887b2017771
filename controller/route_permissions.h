// Which permission every REST route needs: the one table the server checks before a
// request reaches its handler (docs/api.md lists the same). A route missing here does
// not exist (404), so no handler can be reached unchecked; the role x route matrix
// test walks this table for every role.
#pragma once
#include <string>
#include <vector>

#include "access/roles.h"

namespace poolha::controller {

enum class Gate {
  Public,      // no account needed (sign-in)
  Bootstrap,   // an operator certificate, only while no account exists
  Permission,  // a signed-in account or certificate whose roles carry `permission`
};

struct RoutePermission {
  const char* method;
  const char* pattern;  // "/v1/rules/*/switchover": '*' is one path segment (an id)
  Gate gate;
  access::Permission permission;
  // Answered by every member, a standby too (it reads what this member holds: its view
  // of the control plane, its copy of the audit trail); the rest is redirected to the
  // active controller.
  bool any_member = false;
};

const std::vector<RoutePermission>& route_permissions();
// The entry for `method` and `path` (no query), or null: no such route.
const RoutePermission* find_route(const std::string& method, const std::string& path);

}  // namespace poolha::controller
