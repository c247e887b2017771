#include "common/windows/acl.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include "common/windows/wide.h"

namespace poolha::win {

namespace {

std::string sid_text(PSID sid) {
  if (!sid) return "(none)";
  wchar_t* s = nullptr;
  if (!ConvertSidToStringSidW(sid, &s)) return "(unreadable SID)";
  std::string out = narrow(s);
  LocalFree(s);
  return out;
}

}  // namespace

Expected<SecurityFacts> security_of(const std::string& path) {
  PSID owner = nullptr;
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  const std::wstring wpath = widen(path);
  const DWORD rc = GetNamedSecurityInfoW(wpath.c_str(), SE_FILE_OBJECT,
                                         OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner, nullptr, &dacl,
                                         nullptr, &sd);
  if (rc != ERROR_SUCCESS) return Status::Error(path + ": cannot read its permissions: " + error_text(rc));
  SecurityFacts f;
  f.owner_sid = sid_text(owner);
  f.has_dacl = dacl != nullptr;
  if (dacl) {
    for (DWORD i = 0; i < dacl->AceCount; ++i) {
      void* raw = nullptr;
      if (!GetAce(dacl, i, &raw)) {  // unreadable: count it as granting everything to someone
        f.dacl.push_back({true, "(an unreadable ACE)", 0xFFFFFFFF, false});
        continue;
      }
      const auto* header = static_cast<ACE_HEADER*>(raw);
      Ace ace;
      ace.inherit_only = (header->AceFlags & INHERIT_ONLY_ACE) != 0;
      if (header->AceType == ACCESS_ALLOWED_ACE_TYPE) {
        const auto* a = static_cast<ACCESS_ALLOWED_ACE*>(raw);
        ace.allow = true;
        ace.mask = a->Mask;
        ace.sid = sid_text(const_cast<DWORD*>(&a->SidStart));
      } else if (header->AceType == ACCESS_DENIED_ACE_TYPE) {
        const auto* a = static_cast<ACCESS_DENIED_ACE*>(raw);
        ace.allow = false;
        ace.mask = a->Mask;
        ace.sid = sid_text(const_cast<DWORD*>(&a->SidStart));
      } else {
        // Object and callback ACEs do not occur on NTFS files; refuse rather than guess.
        ace.allow = true;
        ace.mask = 0xFFFFFFFF;
        ace.sid = "(an ACE of type " + std::to_string(header->AceType) + ")";
      }
      f.dacl.push_back(std::move(ace));
    }
  }
  LocalFree(sd);
  return f;
}

std::string current_user_sid() {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return "";
  char buf[256];
  DWORD n = 0;
  std::string sid;
  if (GetTokenInformation(token, TokenUser, buf, sizeof buf, &n)) sid = sid_text(reinterpret_cast<TOKEN_USER*>(buf)->User.Sid);
  CloseHandle(token);
  return sid;
}

Status check_path_admins_only(const std::string& path, uint32_t rights, const std::string& verb) {
  auto facts = security_of(path);
  if (!facts.ok()) return facts.status();
  static const std::string self = current_user_sid();
  return check_admins_only(*facts, rights, path, verb, self);
}

Status set_security(const std::string& path, const std::string& sddl) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(widen(sddl).c_str(), SDDL_REVISION_1, &sd, nullptr))
    return Status::Error(path + ": bad security descriptor " + sddl + ": " + last_error_text());
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = nullptr;
  PSID owner = nullptr;
  GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
  GetSecurityDescriptorOwner(sd, &owner, &defaulted);
  std::wstring w = widen(path);
  const DWORD rc = SetNamedSecurityInfoW(w.data(), SE_FILE_OBJECT,
                                         OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION |
                                             PROTECTED_DACL_SECURITY_INFORMATION,
                                         owner, nullptr, dacl, nullptr);
  LocalFree(sd);
  if (rc != ERROR_SUCCESS) return Status::Error(path + ": cannot set its permissions: " + error_text(rc));
  return Status::Ok();
}

Status make_admin_only(const std::string& dir) {
  if (!CreateDirectoryW(widen(dir).c_str(), nullptr) && GetLastError() == ERROR_ALREADY_EXISTS) {
    // Made by someone else before us (Users may create folders in ProgramData): adopting
    // it would trust what they put there. Its owner must be an admin, and it no link.
    const DWORD attrs = GetFileAttributesW(widen(dir).c_str());
    if (attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_REPARSE_POINT))
      return Status::Error(dir + ": is a link or junction; refused (remove it and start again)");
    auto facts = security_of(dir);
    if (!facts.ok()) return facts.status();
    static const std::string self = current_user_sid();
    if (!is_admin_sid(facts->owner_sid) && facts->owner_sid != self)
      return Status::Error(dir + ": owned by " + sid_name(facts->owner_sid) +
                           ", not by SYSTEM or Administrators; refused (someone else made it first: remove it)");
  }
  return set_security(dir, "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)");
}

}  // namespace poolha::win
