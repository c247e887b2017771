// The first start after a silent MSI install (docs/windows.md): the MSI leaves its
// properties in HKLM\SOFTWARE\poolha\agent; the service writes agent.yaml from them if
// there is none, copies the cluster CA, moves the one-time token out of the registry
// (readable by Users) into an admin-only file, and enrols at ENROL_ADDRESS with it, then
// deletes it. The service retries until enrolment succeeds (agent_main_win.cc).
#pragma once
#include <string>

#include "common/status.h"

namespace poolha::agent::windows {

inline constexpr wchar_t kInstallerKey[] = L"SOFTWARE\\poolha\\agent";

// Does what is left of the first start; Ok when there is nothing (left) to do.
// `lines` gets one line per step taken, for the log.
Status prepare_from_installer(const std::string& config_path, std::string& lines);

}  // namespace poolha::agent::windows
