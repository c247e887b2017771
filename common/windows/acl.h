// The owner and DACL of a real file or directory (GetNamedSecurityInfoW), for the
// rules in acl_rules.h.
#pragma once
#include <string>

#include "common/status.h"
#include "common/windows/acl_rules.h"

namespace poolha::win {

// path in UTF-8.
Expected<SecurityFacts> security_of(const std::string& path);

// The SID of the account this process runs as ("S-1-5-18" for a LocalSystem service).
std::string current_user_sid();

// check_admins_only on a real path, trusting current_user_sid() too: error if its
// facts cannot be read, or as there.
Status check_path_admins_only(const std::string& path, uint32_t rights, const std::string& verb);

// Sets the owner and DACL of `path` from an SDDL string ("O:BAD:P(A;OICI;FA;;;SY)..."),
// the DACL protected from inheritance.
Status set_security(const std::string& path, const std::string& sddl);

// Creates `dir` if missing and gives it a protected DACL of SYSTEM and Administrators
// (full control, inherited by what is made inside) with Administrators as owner. An
// existing `dir` must be an admin's (or ours) and not a link: else an error, unchanged.
Status make_admin_only(const std::string& dir);

}  // namespace poolha::win
