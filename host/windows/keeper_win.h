// The Windows lease keeper (poolha-keeper.exe, keeper_main_win.cc), with the IP Helper
// table it removes VIPs through (the system's; the e2e tests' shim under wine).
#pragma once

#include "host/windows/net_api.h"

namespace poolha::host::windows {

int windows_keeper_main(int argc, char** argv, NetApi (*net_api)());

}  // namespace poolha::host::windows
