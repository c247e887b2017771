// The Windows keeper (keeper_main_win.cc is poolha-keeper.exe): the half of the isolation defence that works while the
// agent cannot (hung, suspended, crashed, restarting): host/keeper_loop.h, removing
// VIPs through IP Helper. Installed as the service "poolha-keeper" (automatic start,
// LocalSystem, restart on failure), independent of the agent's service, so the SCM
// restarts it if it dies. Run from a console it works in the foreground (tests, and
// an agent started outside the SCM starts it so).
#include <windows.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "host/keeper_loop.h"
#include "host/windows/keeper_win.h"
#include "host/lease.h"
#include "host/windows/logging_win.h"
#include "host/windows/net_api.h"
#include "host/windows/net_ops_win.h"
#include "host/windows/service_win.h"

namespace poolha::host::windows {

namespace {

constexpr char kName[] = "poolha-keeper";

int usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: poolha-keeper [--service] [--state-dir DIR]\n"
               "Removes the agent's VIPs when its isolation lease (DIR\\lease) lapses. --service: run as\n"
               "the service poolha-keeper (how the MSI installs it); else in the foreground. DIR\n"
               "defaults to %%ProgramData%%\\poolha\\agent.\n");
  return code;
}

int keep(const std::string& state_dir, const std::atomic<bool>& stop, ServiceControl* service, NetApi (*net_api)()) {
  const NetApi api = net_api();
  const std::string path = state_dir + "\\lease";
  // The agent creates the lease; a keeper started first (at boot) waits for it.
  auto lease = LeaseFile::open(path, false);
  for (int i = 0; !lease.ok() && !stop; ++i) {
    if (i == 0) spdlog::info("waiting for {} ({})", path, lease.error());
    if (service && i == 0) service->running();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    lease = LeaseFile::open(path, false);
  }
  if (stop) return 0;
  if (service) service->running();
  LeaseRegion& r = lease->region();
  r.keeper_pid.store(static_cast<int32_t>(GetCurrentProcessId()));
  spdlog::info("watching {}", path);
  KeeperHooks hooks;
  hooks.remove_address = [&api](const std::string& ifname, const std::string& cidr) {
    return remove_address(api, ifname, cidr);
  };
  hooks.log = [](const std::string& line) {
    if (line.rfind("FAILED", 0) == 0) spdlog::error("{}", line);
    else spdlog::warn("{}", line);
  };
  hooks.stop = [&stop] { return stop.load(); };
  const int rc = run_keeper_loop(r, hooks);
  r.keeper_pid.store(0);
  return rc;
}

}  // namespace

int windows_keeper_main(int argc, char** argv, NetApi (*net_api)()) {
  std::string state_dir = program_data() + "\\poolha\\agent";
  bool service_mode = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--state-dir" && i + 1 < argc) state_dir = argv[++i];
    else if (a == "--service") service_mode = true;
    else if (a == "--help" || a == "-h") return usage(0);
    else return usage(2);
  }
  static std::atomic<bool> stop{false};
  // Only when asked: the service dispatcher may wait a long time for an SCM that never
  // started us (wine's does).
  auto as_service = !service_mode ? std::nullopt : run_as_service(kName, [&](ServiceControl& service) {
    setup_logging(kName, "info", false);
    (void)register_event_source(kName, this_executable());
    if (auto st = ensure_recovery(kName, std::chrono::milliseconds(10000)); !st.ok()) spdlog::warn("{}", st.error());
    service.on_stop([] {
      spdlog::info("stop requested by the service manager");
      stop = true;
    });
    const int rc = keep(state_dir, stop, &service, net_api);
    spdlog::info("exiting ({})", rc);
    return rc;
  });
  if (as_service) return *as_service;
  if (service_mode) return std::fprintf(stderr, "--service: not started by the service manager\n"), 2;
  setup_logging(kName, "info", true);
  SetConsoleCtrlHandler([](DWORD) -> BOOL {
    stop = true;
    return TRUE;
  }, TRUE);
  return keep(state_dir, stop, nullptr, net_api);
}

}  // namespace poolha::host::windows
