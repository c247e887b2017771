// poolha-agent-vipshim.exe: the Windows agent with THE VIP TEST SHIM (vip_shim.h), for
// the e2e tests under wine only.
#include "agent/windows/agent_main_win.h"
#include "vip_shim.h"

int main(int argc, char** argv) {
  return poolha::agent::windows::windows_agent_main(argc, argv, poolha::test::vip_shim_net_api);
}
