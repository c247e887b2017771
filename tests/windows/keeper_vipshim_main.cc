// poolha-keeper-vipshim.exe: the Windows keeper with THE VIP TEST SHIM (vip_shim.h), for
// the e2e tests under wine only.
#include "common/windows/utf8_args.h"
#include "host/windows/keeper_win.h"
#include "vip_shim.h"

int main() {
  poolha::win::Utf8Args args;
  return poolha::host::windows::windows_keeper_main(args.argc(), args.argv(), poolha::test::vip_shim_net_api);
}
