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

}  // namespace poolha::win
