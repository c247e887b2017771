// The IP Helper functions the Windows agent floats VIPs with, as a table of function
// pointers (issue 12 §3): production resolves them from iphlpapi.dll at run time
// (system_net_api), tests put in their own. Resolving at run time also means a system
// that lacks one (wine has no CreateUnicastIpAddressEntry or ResolveIpNetEntry2)
// gets a clear error from the call that needs it instead of failing to start.
#pragma once
#include <winsock2.h>
#include <ws2ipdef.h>
#include <iphlpapi.h>
#include <netioapi.h>

#include <string>

namespace poolha::host::windows {

struct NetApi {
  decltype(&::GetAdaptersAddresses) get_adapters_addresses = nullptr;
  decltype(&::ConvertInterfaceAliasToLuid) alias_to_luid = nullptr;
  decltype(&::InitializeUnicastIpAddressEntry) initialize_unicast_entry = nullptr;
  decltype(&::CreateUnicastIpAddressEntry) create_unicast_entry = nullptr;
  decltype(&::DeleteUnicastIpAddressEntry) delete_unicast_entry = nullptr;
  decltype(&::GetUnicastIpAddressEntry) get_unicast_entry = nullptr;
  decltype(&::ResolveIpNetEntry2) resolve_neighbour = nullptr;
  decltype(&::GetIfEntry2) get_if_entry = nullptr;
  // What the table calls itself in errors and logs ("iphlpapi.dll", or a test's name).
  std::string source = "iphlpapi.dll";
};

// Every entry resolved from iphlpapi.dll; an entry the system does not export stays null.
NetApi system_net_api();

}  // namespace poolha::host::windows
