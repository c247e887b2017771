#include "access/roles.h"

#include <map>

namespace poolha::access {

const char* to_string(Role r) {
  switch (r) {
    case Role::SystemAdmin: return "sysadmin";
    case Role::SecurityAdmin: return "secadmin";
    case Role::AuditAdmin: return "auditadmin";
    case Role::Operator: return "operator";
    case Role::Viewer: return "viewer";
  }
  return "?";
}

const char* to_string(Permission p) {
  switch (p) {
    case Permission::Self: return "self";
    case Permission::View: return "view";
    case Permission::Operate: return "operate";
    case Permission::Configure: return "configure";
    case Permission::Members: return "members";
    case Permission::Tokens: return "tokens";
    case Permission::Accounts: return "accounts";
    case Permission::Sessions: return "sessions";
    case Permission::Revoke: return "revoke";
    case Permission::Audit: return "audit";
  }
  return "?";
}

std::optional<Role> role_from_string(const std::string& s) {
  for (Role r : kAllRoles)
    if (s == to_string(r)) return r;
  return std::nullopt;
}

std::vector<std::string> role_names(const Roles& roles) {
  std::vector<std::string> out;
  for (Role r : roles) out.push_back(to_string(r));
  return out;
}

std::string roles_text(const Roles& roles) {
  std::string out;
  for (Role r : roles) out += (out.empty() ? "" : ",") + std::string(to_string(r));
  return out;
}

bool is_admin_role(Role r) { return r == Role::SystemAdmin || r == Role::SecurityAdmin || r == Role::AuditAdmin; }

const std::set<Permission>& permissions_of(Role r) {
  using P = Permission;
  // The separation itself. Reading the cluster's state is the viewer's, the operator's
  // and the system administrator's; the security and audit administrators see only
  // their own domains (accounts and sessions; the audit trail).
  static const std::map<Role, std::set<Permission>> table = {
      {Role::SystemAdmin, {P::Self, P::View, P::Configure, P::Members, P::Tokens}},
      {Role::SecurityAdmin, {P::Self, P::Accounts, P::Sessions, P::Revoke}},
      {Role::AuditAdmin, {P::Self, P::Audit}},
      {Role::Operator, {P::Self, P::View, P::Operate}},
      {Role::Viewer, {P::Self, P::View}},
  };
  return table.at(r);
}

bool may(const Roles& roles, Permission p) {
  for (Role r : roles)
    if (permissions_of(r).count(p)) return true;
  return false;
}

std::set<Permission> permissions(const Roles& roles) {
  std::set<Permission> out;
  for (Role r : roles) out.insert(permissions_of(r).begin(), permissions_of(r).end());
  return out;
}

Status check_roles(const Roles& roles) {
  if (roles.empty()) return Status::Error("roles: an account needs at least one role");
  int admin = 0;
  for (Role r : roles) admin += is_admin_role(r) ? 1 : 0;
  if (admin > 1)
    return Status::Error("roles: one account may hold only one of sysadmin, secadmin and auditadmin "
                         "(three-administrator separation)");
  return Status::Ok();
}

}  // namespace poolha::access
