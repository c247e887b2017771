// Who may change or read a file, decided from its owner and DACL (SPEC §7 in its
// Windows form, issue 12): a script runs as LocalSystem, so every component of its
// path must be writable only by SYSTEM, Administrators or TrustedInstaller, and the
// agent's private key readable only by them. Pure (SIDs as strings, rights as
// masks), so the rules are tested on Linux; acl.h reads a real path's facts.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace poolha::win {

struct Ace {
  bool allow = true;          // ACCESS_ALLOWED_ACE (false: ACCESS_DENIED_ACE)
  std::string sid;            // "S-1-5-32-545"
  uint32_t mask = 0;          // FILE_* / GENERIC_* rights
  bool inherit_only = false;  // applies to children only, not to this object
};

struct SecurityFacts {
  std::string owner_sid;
  bool has_dacl = true;  // false: a NULL DACL, which grants everyone everything
  std::vector<Ace> dacl;
};

namespace sid {
inline constexpr char kSystem[] = "S-1-5-18";
inline constexpr char kAdministrators[] = "S-1-5-32-544";
inline constexpr char kTrustedInstaller[] = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";
inline constexpr char kEveryone[] = "S-1-1-0";
inline constexpr char kUsers[] = "S-1-5-32-545";
inline constexpr char kAuthenticatedUsers[] = "S-1-5-11";
}  // namespace sid

// SYSTEM, Administrators, TrustedInstaller.
bool is_admin_sid(const std::string& sid);
// A readable name for the well-known SIDs ("Everyone"), else the SID itself.
std::string sid_name(const std::string& sid);

// Rights that change a file or a directory's entries: write/append data (add a file or
// subdirectory), delete, delete child, change the DACL or the owner, generic write/all.
inline constexpr uint32_t kWriteRights = 0x2 | 0x4 | 0x40 | 0x10000 | 0x40000 | 0x80000 | 0x40000000 | 0x10000000;
// On the directories above the script directory, adding an entry cannot replace one
// that exists, and the system drive's root lets Users add folders by default; what
// counts there is what renames, deletes or re-permissions the next component.
inline constexpr uint32_t kAncestorWriteRights = kWriteRights & ~uint32_t{0x2 | 0x4};
// Rights that read a file's contents: read data, generic read/all.
inline constexpr uint32_t kReadRights = 0x1 | 0x80000000 | 0x10000000;

// Ok if the owner is an admin SID (or `self_sid`) and no allow ACE that applies to the
// object gives `rights` to anyone else; else the first offender, e.g.
// "C:\poolha\scripts: Users may change it". `self_sid` is the account the agent runs
// as (SYSTEM for the service), trusted as Linux trusts the agent's own uid: it could
// change the file anyway. Deny ACEs are not credited: what one grants, another may
// not take away in every order, and the rule must hold whatever the order.
Status check_admins_only(const SecurityFacts& f, uint32_t rights, const std::string& what, const std::string& verb,
                         const std::string& self_sid = "");

// The directories above `path`, outermost first: C:\a\b\c -> C:\, C:\a, C:\a\b. Error
// if `path` is not absolute with a drive letter; a forward slash counts as a backslash.
Expected<std::vector<std::string>> ancestors_of(const std::string& path);

}  // namespace poolha::win
