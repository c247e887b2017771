#include "host/windows/net_api.h"

namespace poolha::host::windows {

namespace {

template <typename Fn>
void resolve(HMODULE dll, const char* name, Fn& slot) {
  slot = dll ? reinterpret_cast<Fn>(reinterpret_cast<void*>(GetProcAddress(dll, name))) : nullptr;
}

}  // namespace

NetApi system_net_api() {
  // iphlpapi.dll is a system DLL, always loaded from System32 (KnownDLLs).
  HMODULE dll = LoadLibraryExW(L"iphlpapi.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (!dll) dll = LoadLibraryW(L"iphlpapi.dll");  // 2012 R2 without KB2533623's flag
  NetApi api;
  resolve(dll, "GetAdaptersAddresses", api.get_adapters_addresses);
  resolve(dll, "ConvertInterfaceAliasToLuid", api.alias_to_luid);
  resolve(dll, "InitializeUnicastIpAddressEntry", api.initialize_unicast_entry);
  resolve(dll, "CreateUnicastIpAddressEntry", api.create_unicast_entry);
  resolve(dll, "DeleteUnicastIpAddressEntry", api.delete_unicast_entry);
  resolve(dll, "GetUnicastIpAddressEntry", api.get_unicast_entry);
  resolve(dll, "ResolveIpNetEntry2", api.resolve_neighbour);
  resolve(dll, "GetIfEntry2", api.get_if_entry);
  return api;
}

}  // namespace poolha::host::windows
