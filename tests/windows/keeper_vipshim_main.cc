// poolha-keeper-vipshim.exe: the Windows keeper with THE VIP TEST SHIM (vip_shim.h), for
// the e2e tests under wine only.
#include "host/windows/keeper_win.h"
#include "vip_shim.h"

int main(int argc, char** argv) {
  return poolha::host::windows::windows_keeper_main(argc, argv, poolha::test::vip_shim_net_api);
}
