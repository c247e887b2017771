// poolha-agent.exe: the Windows agent (agent_main_win.cc), floating VIPs through the
// system's iphlpapi.dll.
#include "agent/windows/agent_main_win.h"
#include "common/windows/utf8_args.h"

int main() {
  poolha::win::Utf8Args args;
  return poolha::agent::windows::windows_agent_main(args.argc(), args.argv(), poolha::host::windows::system_net_api);
}
