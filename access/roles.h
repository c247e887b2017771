// Who may do what: the roles of MLPS 2.0's three-administrator separation (三员分立,
// GB/T 22239-2019) plus operator and viewer, and the permissions each role carries.
// There is no superuser: no role carries every permission, and one account never
// holds two of the three administrator roles (check_roles). The REST routes name the
// permission they need (controller/route_permissions.h); this table alone decides.
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace poolha::access {

enum class Role : uint8_t {
  SystemAdmin,    // pools, nodes, rules, templates, settings, members, enrolment tokens
  SecurityAdmin,  // accounts, role grants, password and lockout policy, sessions, certificate revocation
  AuditAdmin,     // reads and exports the audit trail, nothing else
  Operator,       // switchover, forced switch, failback, freeze, resume, maintenance
  Viewer,         // reads the cluster's state and history
};
using Roles = std::set<Role>;

enum class Permission : uint8_t {
  Self,        // every signed-in account: who am I, change my password, sign out
  View,        // status, rules, nodes, pools, events, the control plane
  Operate,     // operations on running services (and the no-quorum override)
  Configure,   // pools, nodes, rules, templates, settings, apply
  Members,     // control-plane membership and leadership transfer
  Tokens,      // enrolment tokens for new agents
  Accounts,    // accounts, role grants, unlock, password resets, policy
  Sessions,    // list and end other accounts' sessions, rotate the session key
  Revoke,      // revoke operator and agent certificates
  Audit,       // read and export the audit trail
};

inline constexpr Role kAllRoles[] = {Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin, Role::Operator,
                                     Role::Viewer};
inline constexpr Permission kAllPermissions[] = {Permission::Self,    Permission::View,     Permission::Operate,
                                                 Permission::Configure, Permission::Members, Permission::Tokens,
                                                 Permission::Accounts, Permission::Sessions, Permission::Revoke,
                                                 Permission::Audit};

const char* to_string(Role r);
const char* to_string(Permission p);
std::optional<Role> role_from_string(const std::string& s);
std::vector<std::string> role_names(const Roles& roles);
// "operator,viewer": how the audit trail records an actor's roles.
std::string roles_text(const Roles& roles);

bool is_admin_role(Role r);
// The permissions one role carries.
const std::set<Permission>& permissions_of(Role r);
// Whether any of `roles` carries `p`. Self needs only a signed-in account.
bool may(const Roles& roles, Permission p);
std::set<Permission> permissions(const Roles& roles);

// At least one role, and at most one of the three administrator roles.
Status check_roles(const Roles& roles);

}  // namespace poolha::access
