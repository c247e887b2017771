// poolha-keeper.exe: the Windows lease keeper (keeper_win.cc), removing VIPs through the
// system's iphlpapi.dll.
#include "host/windows/keeper_win.h"

int main(int argc, char** argv) {
  return poolha::host::windows::windows_keeper_main(argc, argv, poolha::host::windows::system_net_api);
}
