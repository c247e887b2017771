#include "common/windows/acl_rules.h"

namespace poolha::win {

bool is_admin_sid(const std::string& s) {
  return s == sid::kSystem || s == sid::kAdministrators || s == sid::kTrustedInstaller;
}

std::string sid_name(const std::string& s) {
  static const std::pair<const char*, const char*> kNames[] = {
      {sid::kSystem, "SYSTEM"},
      {sid::kAdministrators, "Administrators"},
      {sid::kTrustedInstaller, "TrustedInstaller"},
      {sid::kEveryone, "Everyone"},
      {sid::kUsers, "Users"},
      {sid::kAuthenticatedUsers, "Authenticated Users"},
      {"S-1-5-4", "INTERACTIVE"},
      {"S-1-3-0", "CREATOR OWNER"},
      {"S-1-5-32-547", "Power Users"},
  };
  for (const auto& [id, name] : kNames)
    if (s == id) return name;
  return s;
}

Status check_admins_only(const SecurityFacts& f, uint32_t rights, const std::string& what, const std::string& verb,
                         const std::string& self_sid) {
  auto trusted = [&](const std::string& s) { return is_admin_sid(s) || (!self_sid.empty() && s == self_sid); };
  if (!trusted(f.owner_sid))
    return Status::Error(what + ": owned by " + sid_name(f.owner_sid) +
                         ", not by SYSTEM, Administrators or TrustedInstaller (its owner can change its permissions)");
  if (!f.has_dacl) return Status::Error(what + ": has no DACL, so everyone may " + verb + " it");
  for (const auto& ace : f.dacl) {
    if (!ace.allow || ace.inherit_only || trusted(ace.sid)) continue;
    if (ace.mask & rights) return Status::Error(what + ": " + sid_name(ace.sid) + " may " + verb + " it");
  }
  return Status::Ok();
}

Expected<std::vector<std::string>> ancestors_of(const std::string& path) {
  std::string p = path;
  for (auto& c : p)
    if (c == '/') c = '\\';
  if (p.size() < 3 || p[1] != ':' || p[2] != '\\')
    return Status::Error(path + ": not an absolute path with a drive letter (C:\\...)");
  while (p.size() > 3 && p.back() == '\\') p.pop_back();
  std::vector<std::string> out;
  if (p.size() > 3) out.push_back(p.substr(0, 3));
  for (size_t i = 4; i < p.size(); ++i)
    if (p[i] == '\\' && p[i - 1] != '\\') out.push_back(p.substr(0, i));
  return out;
}

}  // namespace poolha::win
