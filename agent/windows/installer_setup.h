// The first start after a silent MSI install (docs/windows.md): the MSI leaves its
// properties in HKLM\SOFTWARE\poolha\agent; the service writes agent.yaml from them if
// there is none, copies the cluster CA, and enrols at ENROL_ADDRESS with the one-time
// token, which it then deletes. Until enrolment succeeds the service exits non-zero, so the SCM's
// recovery retries it (5 s, 5 s, 30 s).
#pragma once
#include <string>

#include "common/status.h"

namespace poolha::agent::windows {

inline constexpr wchar_t kInstallerKey[] = L"SOFTWARE\\poolha\\agent";

// Does what is left of the first start; Ok when there is nothing (left) to do.
// `lines` gets one line per step taken, for the log.
Status prepare_from_installer(const std::string& config_path, std::string& lines);

}  // namespace poolha::agent::windows
