// poolha-agent-vipshim.exe: the Windows agent with THE VIP TEST SHIM (vip_shim.h), for
// the e2e tests under wine only.
#include "agent/windows/agent_main_win.h"
#include "common/windows/utf8_args.h"
#include "vip_shim.h"

int main() {
  poolha::win::Utf8Args args;
  return poolha::agent::windows::windows_agent_main(args.argc(), args.argv(), poolha::test::vip_shim_net_api);
}
