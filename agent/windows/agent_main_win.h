// The Windows agent's command line, with the IP Helper table it floats VIPs through:
// poolha-agent.exe passes the system's (main_win.cc); the e2e tests' agent under wine,
// which has no address calls, passes their shim (tests/windows/vip_shim.h).
#pragma once

#include "host/windows/net_api.h"

namespace poolha::agent::windows {

int windows_agent_main(int argc, char** argv, host::windows::NetApi (*net_api)());

}  // namespace poolha::agent::windows
