#include "vip_shim.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "common/windows/wide.h"

namespace poolha::test {

namespace {

using host::windows::NetApi;

std::mutex g_mu;
std::map<ULONG64, std::string> g_aliases;  // LUID -> alias, as the real lookup answered
decltype(&::ConvertInterfaceAliasToLuid) g_real_alias_to_luid = nullptr;

std::string v4(const SOCKADDR_INET& a) {
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a.Ipv4.sin_addr, buf, sizeof buf);
  return buf;
}

std::string alias_of(const NET_LUID& luid) {
  std::lock_guard<std::mutex> lk(g_mu);
  auto it = g_aliases.find(luid.Value);
  return it == g_aliases.end() ? "" : it->second;
}

// One request line to the helper, one reply line back ("ok", "mac aa:bb:..", "none",
// "error ..."); empty if the helper cannot be reached.
std::string ask(const std::string& line) {
  const char* where = std::getenv("POOLHA_VIP_SHIM");
  if (!where) return "error POOLHA_VIP_SHIM is not set";
  std::string host = where, port = "0";
  if (auto colon = host.rfind(':'); colon != std::string::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  static const bool started = [] {
    WSADATA w;
    return WSAStartup(MAKEWORD(2, 2), &w) == 0;
  }();
  (void)started;
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET) return "";
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<u_short>(std::atoi(port.c_str())));
  inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  std::string reply;
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string msg = line + "\n";
    send(s, msg.data(), static_cast<int>(msg.size()), 0);
    char buf[256];
    int n;
    while ((n = recv(s, buf, sizeof buf, 0)) > 0) {
      reply.append(buf, static_cast<size_t>(n));
      if (reply.find('\n') != std::string::npos) break;
    }
  }
  closesocket(s);
  if (auto nl = reply.find('\n'); nl != std::string::npos) reply.resize(nl);
  return reply;
}

DWORD WINAPI shim_alias_to_luid(const WCHAR* alias, NET_LUID* luid) {
  const DWORD rc = g_real_alias_to_luid(alias, luid);
  if (rc == NO_ERROR) {
    std::lock_guard<std::mutex> lk(g_mu);
    g_aliases[luid->Value] = win::narrow(alias);
  }
  return rc;
}

void WINAPI shim_initialize(MIB_UNICASTIPADDRESS_ROW* row) {
  std::memset(row, 0, sizeof *row);
  row->DadState = IpDadStateInvalid;
}

DWORD WINAPI shim_create(const MIB_UNICASTIPADDRESS_ROW* row) {
  const std::string r = ask("add " + alias_of(row->InterfaceLuid) + " " + v4(row->Address) + "/" +
                            std::to_string(row->OnLinkPrefixLength));
  if (r == "ok") return NO_ERROR;
  if (r == "exists") return ERROR_OBJECT_ALREADY_EXISTS;
  return ERROR_GEN_FAILURE;
}

DWORD WINAPI shim_delete(const MIB_UNICASTIPADDRESS_ROW* row) {
  const std::string r = ask("del " + alias_of(row->InterfaceLuid) + " " + v4(row->Address) + "/" +
                            std::to_string(row->OnLinkPrefixLength));
  if (r == "ok") return NO_ERROR;
  if (r == "absent") return ERROR_NOT_FOUND;
  return ERROR_GEN_FAILURE;
}

// The helper's addresses carry no duplicate-address detection: preferred once present.
DWORD WINAPI shim_get(MIB_UNICASTIPADDRESS_ROW* row) {
  const std::string r = ask("has " + alias_of(row->InterfaceLuid) + " " + v4(row->Address));
  if (r != "yes") return ERROR_NOT_FOUND;
  row->DadState = IpDadStatePreferred;
  return NO_ERROR;
}

DWORD WINAPI shim_resolve(MIB_IPNET_ROW2* row, const SOCKADDR_INET* source) {
  const std::string ifname = alias_of(row->InterfaceLuid);
  if (source) {  // announce: the VIP as the sender
    return ask("announce " + ifname + " " + v4(*source)) == "ok" ? NO_ERROR : ERROR_GEN_FAILURE;
  }
  const std::string r = ask("probe " + ifname + " " + v4(row->Address));
  if (r.rfind("mac ", 0) == 0) {
    unsigned b[6] = {};
    if (std::sscanf(r.c_str() + 4, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6) {
      for (int i = 0; i < 6; ++i) row->PhysicalAddress[i] = static_cast<UCHAR>(b[i]);
      row->PhysicalAddressLength = 6;
      return NO_ERROR;
    }
  }
  return r == "none" ? ERROR_BAD_NET_NAME : ERROR_GEN_FAILURE;
}

}  // namespace

NetApi vip_shim_net_api() {
  NetApi api = host::windows::system_net_api();
  g_real_alias_to_luid = api.alias_to_luid;
  api.alias_to_luid = shim_alias_to_luid;
  api.initialize_unicast_entry = shim_initialize;
  api.create_unicast_entry = shim_create;
  api.delete_unicast_entry = shim_delete;
  api.get_unicast_entry = shim_get;
  api.resolve_neighbour = shim_resolve;
  api.source = "THE VIP TEST SHIM (tests/windows/vip_shim.h)";
  return api;
}

}  // namespace poolha::test
