// poolha-keeper.exe: the Windows lease keeper (keeper_win.cc), removing VIPs through the
// system's iphlpapi.dll.
#include "common/windows/utf8_args.h"
#include "host/windows/keeper_win.h"

int main() {
  poolha::win::Utf8Args args;
  return poolha::host::windows::windows_keeper_main(args.argc(), args.argv(), poolha::host::windows::system_net_api);
}
