// Health checks (monitors, design §3.1) for the Windows agent; the kinds and params
// are host/check_spec.h's, validated with Windows' rules. On Windows:
//   process     Toolhelp snapshot: the image name, compared case-insensitively; the
//               command line (cmdline=) through NtQueryInformationProcess, which
//               Windows 8.1/2012 R2 answers for any process a service may query.
//   service     the SCM: QueryServiceStatusEx is RUNNING.
//   cpu         PDH, "\Processor(_Total)\% Processor Time" added by its English name
//               (PdhAddEnglishCounterW), so it works on Chinese Windows, over ~200 ms.
//   memory      GlobalMemoryStatusEx: (total - available) / total of physical memory.
//   disk        GetDiskFreeSpaceExW: used / total of the volume holding `path`.
//   nic_link    the adapter with that alias (GetAdaptersAddresses) is up.
//   gateway     IcmpSendEcho2 (no raw socket, no privilege needed).
//   log_pattern the file is opened without following links, must be a regular file
//               whose final path lies in one of the log_dirs (GetFinalPathNameByHandle),
//               and is shared for read, write and delete, so the service that writes
//               it can rotate it meanwhile (host/log_scan.h does the rest).
//   script      host/windows/script_runner_win.h, POOLHA_CHECK=1 in its environment.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"
#include "host/check_spec.h"
#include "host/windows/net_api.h"

namespace poolha::host::windows {

// Runs one check, blocking, never longer than spec.timeout (+ small slack). An invalid
// spec yields healthy=false with the validation error as detail.
CheckOutcome run_check(const CheckSpec& spec, const CheckPolicy& policy, const NetApi& api);

// ICMP echo to an IPv4 literal: true if a reply arrived within timeout; an error if
// nothing could be sent.
Expected<bool> ping(const std::string& ipv4, std::chrono::milliseconds timeout);

}  // namespace poolha::host::windows
