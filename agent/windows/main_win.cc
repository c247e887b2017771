// poolha-agent.exe: the Windows agent (agent_main_win.cc), floating VIPs through the
// system's iphlpapi.dll.
#include "agent/windows/agent_main_win.h"

int main(int argc, char** argv) {
  return poolha::agent::windows::windows_agent_main(argc, argv, poolha::host::windows::system_net_api);
}
