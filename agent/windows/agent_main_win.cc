// The Windows agent's command line (issue 12; main_win.cc is poolha-agent.exe). The same daemon, config keys and wire
// protocol as on Linux (agent/), with the Windows host (host/windows) and services:
//   service   run under the SCM as "poolha-agent" (the MSI installs it so); the first
//             start after a silent install writes agent.yaml and enrols
//             (installer_setup.h); STOP and PRESHUTDOWN stop the daemon as SIGTERM
//             does on Linux (VIPs stay; the keeper guards them)
//   run       the same in the foreground, from a console (Ctrl-C stops)
//   check-config, enrol, stop-keeper: as on Linux
//   release-all: the MSI's uninstall step (stop the agent, remove every listed VIP,
//             stop the keeper for good)
//   install-services / uninstall: for installs without the MSI
// The keeper is the "poolha-keeper" service; an agent run outside the SCM starts
// poolha-keeper.exe beside itself in the foreground instead.
#include <windows.h>

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <iostream>
#include <memory>
#include <thread>

#include "agent/agent_cli.h"
#include "agent/daemon.h"
#include "agent/windows/agent_main_win.h"
#include "agent/windows/installer_setup.h"
#include "common/fs_path.h"
#include "common/windows/acl.h"
#include "common/windows/wide.h"
#include "host/windows/host_ops_win.h"
#include "host/windows/logging_win.h"
#include "host/windows/net_ops_win.h"
#include "host/windows/service_win.h"

namespace poolha::agent::windows {

namespace {

using namespace poolha::host::windows;
using host::WindowsHostOps;
using std::chrono::milliseconds;

// Where VIPs go: iphlpapi.dll in poolha-agent.exe, the e2e tests' shim in theirs.
NetApi (*g_net_api)() = system_net_api;

constexpr char kAgentService[] = "poolha-agent";
constexpr char kKeeperService[] = "poolha-keeper";

constexpr char kUsage[] =
    "usage: poolha-agent COMMAND [options]\n"
    "  service [--config FILE]            run as the Windows service poolha-agent (the SCM starts it)\n"
    "  run --config FILE                  run the agent in the foreground\n"
    "  check-config --config FILE         validate FILE; prints \"ok\" or the error\n"
    "  enrol --config FILE --controller ADDR:PORT --token TOKEN\n"
    "                                     obtain this node's certificate with a one-time token\n"
    "  stop-keeper --config FILE          stop the lease keeper for good (uninstall only)\n"
    "  install-services --config FILE     install the poolha-agent and poolha-keeper services\n"
    "  release-all --config FILE          stop the agent service, remove every VIP it lists, stop\n"
    "                                     the keeper for good (the MSI's uninstall runs this first)\n"
    "  uninstall --config FILE            release-all, then remove both services\n"
    "  --help, --version\n"
    "FILE defaults to %ProgramData%\\poolha\\agent.yaml. Reference: docs/agent-config.md, docs/windows.md\n";

std::string default_config() { return program_data() + "\\poolha\\agent.yaml"; }

// The keeper beside us, named as we are: poolha-keeper.exe beside poolha-agent.exe (the
// e2e tests' poolha-keeper-vipshim.exe beside poolha-agent-vipshim.exe).
std::string keeper_beside_self() {
  std::string self = this_executable();
  const auto at = self.rfind("poolha-agent");
  if (at != std::string::npos) self.replace(at, 12, "poolha-keeper");
  return self;
}

bool keeper_alive(const LeaseFile& lease) {
  const int64_t seen = lease.region().keeper_alive_ms.load();
  return seen > 0 && monotonic_ms() - seen < 1000;
}

// The keeper service if installed (started if stopped); else poolha-keeper.exe beside
// us, detached, in the foreground. Then waits until it heartbeats in the lease.
Status ensure_keeper(const AgentConfig& cfg, const LeaseFile& lease) {
  if (keeper_alive(lease)) return Status::Ok();
  auto state = service_state(kKeeperService);
  if (state.ok() && *state != ServiceState::NotInstalled) {
    if (auto st = start_service(kKeeperService, milliseconds(10000)); !st.ok()) return st;
  } else {
    std::wstring cmd = L"\"" + win::widen(keeper_beside_self()) + L"\" --state-dir \"" +
                       win::widen(cfg.state_dir) + L"\"";
    STARTUPINFOW si{};
    si.cb = sizeof si;
    PROCESS_INFORMATION pi{};
    if (!CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, FALSE,
                        DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW, nullptr, nullptr, &si, &pi))
      return Status::Error("cannot start poolha-keeper.exe: " + win::last_error_text());
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
  }
  for (int i = 0; i < 100; ++i) {
    if (keeper_alive(lease)) return Status::Ok();
    std::this_thread::sleep_for(milliseconds(50));
  }
  return Status::Error("the lease keeper did not start within 5 s; see " + log_dir() + "\\poolha-keeper.log");
}

// Runs the daemon until stopped; `service` reports to the SCM when it is running.
int run_agent(const std::string& config_path, ServiceControl* service) {
  auto cfg = load_config(config_path);
  if (!cfg.ok()) return spdlog::critical("{}", cfg.error()), 1;
  spdlog::set_level(spdlog::level::from_str(cfg->log_level));
  WindowsHostOps host(g_net_api());
  if (auto st = check_monitors(*cfg, host); !st.ok()) return spdlog::critical("{}", st.error()), 1;
  // What says whom to trust and where to connect must be an admin's to change: else a
  // user could point this SYSTEM service at a controller of their own.
  for (const std::string& path : {config_path, cfg->tls.ca, cfg->tls.cert})
    if (auto st = win::check_path_admins_only(path, win::kWriteRights, "change"); !st.ok())
      return spdlog::critical("{}: refused (allow only SYSTEM and Administrators to change it)", st.error()), 1;
  if (auto st = check_certificate(*cfg); !st.ok()) return spdlog::critical("{}", st.error()), 1;
  std::error_code ec;
  std::filesystem::create_directories(fs_path(cfg->state_dir), ec);
  auto ledger = load_ledger(*cfg);
  if (!ledger.ok()) return spdlog::critical("{}", ledger.error()), 1;
  auto lease = LeaseFile::open(cfg->state_dir + "\\lease", true);
  if (!lease.ok()) return spdlog::critical("{}", lease.error()), 1;
  lease->region().stop_requested.store(0);  // a running agent always wants a keeper
  if (auto st = ensure_keeper(*cfg, *lease); !st.ok()) return spdlog::critical("{}", st.error()), 1;
  spdlog::info("lease keeper watches {}\\lease", cfg->state_dir);
  if (const auto& api = host.net_api(); !api.create_unicast_entry)
    spdlog::critical("{} has no CreateUnicastIpAddressEntry: this agent cannot float VIPs here", api.source);

  AgentDaemon daemon(std::move(*cfg), host, std::move(*lease), std::move(*ledger), "windows");
  if (service) {
    service->on_stop([&daemon] { daemon.request_stop(); });
    service->running();
  }
  return daemon.run();
}

// The service reports RUNNING at once (so an MSI install does not fail and roll back
// when a controller cannot be reached yet), then finishes the installer's first start,
// retrying enrolment every 5 s rising to 60 s, and runs the agent.
int cmd_service(const std::string& config_path) {
  auto rc = run_as_service(kAgentService, [&](ServiceControl& service) {
    setup_logging(kAgentService, "info", false);
    (void)register_event_source(kAgentService, this_executable());
    if (auto st = ensure_recovery(kAgentService, milliseconds(15000)); !st.ok()) spdlog::warn("{}", st.error());
    // Keys, the token and the lease live here: SYSTEM and Administrators only (an MSI
    // made with wixl cannot set permissions, so the service does, every start).
    if (auto st = win::make_admin_only(program_data() + "\\poolha"); !st.ok()) return spdlog::critical("{}", st.error()), 1;
    std::mutex mu;
    std::condition_variable cv;
    bool stopping = false;
    service.on_stop([&] {
      std::lock_guard<std::mutex> lk(mu);
      stopping = true;
      cv.notify_all();
    });
    service.running();
    for (int wait_s = 5;; wait_s = std::min(wait_s * 2, 60)) {
      std::string lines;
      auto st = agent::windows::prepare_from_installer(config_path, lines);
      if (!lines.empty()) spdlog::info("{}", lines);
      if (st.ok()) break;
      spdlog::error("{} (next try in {} s)", st.error(), wait_s);
      std::unique_lock<std::mutex> lk(mu);
      if (cv.wait_for(lk, std::chrono::seconds(wait_s), [&] { return stopping; })) return 0;
    }
    return run_agent(config_path, &service);
  });
  if (rc) return *rc;
  std::cerr << "service: not started by the service manager; use `poolha-agent run` in a console\n";
  return 2;
}

// Ctrl-C reaches the daemon as SIGINT (the C runtime's console handler; Asio's
// signal_set), as on Linux.
int cmd_run(const std::string& config_path) {
  setup_logging(kAgentService, "info", true);
  return run_agent(config_path, nullptr);
}

int cmd_stop_keeper(const std::string& config_path) {
  auto cfg = load_config(config_path);
  if (!cfg.ok()) return std::cerr << cfg.error() << "\n", 1;
  auto lease = LeaseFile::open(cfg->state_dir + "\\lease", false);
  if (!lease.ok()) return std::cerr << lease.error() << "\n", 1;
  lease->region().stop_requested.store(1);
  std::cout << (keeper_alive(*lease) ? "asked the lease keeper to exit\n" : "no lease keeper running\n");
  return 0;
}

int cmd_install_services(const std::string& config_path) {
  const std::string agent = this_executable(), keeper = keeper_beside_self();
  auto cfg = load_config(config_path);
  const std::string state_dir = cfg.ok() ? cfg->state_dir : program_data() + "\\poolha\\agent";
  for (const ServiceSpec& s :
       {ServiceSpec{kKeeperService, "poolha lease keeper",
                    "Removes this host's poolha VIPs when the agent's isolation lease lapses.",
                    "\"" + keeper + "\" --service --state-dir \"" + state_dir + "\"", {}},
        ServiceSpec{kAgentService, "poolha agent", "poolha node agent: health, VIPs and scripts for the pool's controllers.",
                    "\"" + agent + "\" service --config \"" + config_path + "\"", {}}}) {
    if (auto st = install_service(s); !st.ok()) return std::cerr << st.error() << "\n", 1;
    if (auto st = ensure_recovery(s.name, milliseconds(s.name == kAgentService ? 15000 : 10000)); !st.ok())
      std::cerr << "warning: " << st.error() << "\n";
    (void)register_event_source(s.name, s.name == kAgentService ? agent : keeper);
    std::cout << "installed service " << s.name << "\n";
  }
  return 0;
}

// Stops the agent's service (its VIPs stay), removes every VIP the lease lists, and
// asks the keeper to exit for good: what the MSI runs before it stops and removes the
// services. Idempotent: a second run finds nothing to do.
int cmd_release_all(const std::string& config_path) {
  int rc = 0;
  if (auto state = service_state(kAgentService); state.ok() && *state != ServiceState::NotInstalled)
    if (auto st = stop_service(kAgentService, milliseconds(20000)); !st.ok()) std::cerr << "warning: " << st.error() << "\n";
  auto cfg = load_config(config_path);
  if (!cfg.ok()) return std::cerr << cfg.error() << " (no VIPs removed)\n", 1;
  auto lease = LeaseFile::open(cfg->state_dir + "\\lease", false);
  if (!lease.ok()) return std::cout << "no lease: no VIPs to remove\n", 0;
  const NetApi api = g_net_api();
  const LeaseSnapshot s = read_lease(lease->region());
  if (!released(s))
    for (const auto& v : s.hold.vips) {
      auto st = remove_address(api, v.ifname, v.cidr);
      std::cout << (st.ok() ? "removed " + v.cidr + " from " + v.ifname : "FAILED: " + st.error()) << "\n";
      if (!st.ok()) rc = 1;
    }
  if (rc == 0) (void)write_lease(lease->region(), LeaseHold{});
  lease->region().stop_requested.store(1);
  return rc;
}

// release-all, then both services removed (installs without the MSI).
int cmd_uninstall(const std::string& config_path) {
  int rc = cmd_release_all(config_path);
  for (const char* name : {kAgentService, kKeeperService})
    if (auto st = uninstall_service(name, milliseconds(20000)); st.ok()) {
      std::cout << "removed service " << name << "\n";
    } else {
      std::cerr << st.error() << "\n";
      rc = 1;
    }
  return rc;
}

}  // namespace

int windows_agent_main(int argc, char** argv, host::windows::NetApi (*net_api)()) {
  g_net_api = net_api;
  const std::string first = argc >= 2 ? argv[1] : "";
  if (first == "--help" || first == "-h") return std::cout << kUsage, 0;
  if (first == "--version") return std::cout << "poolha-agent " << kAgentVersion << " (windows)\n", 0;
  // --config is optional on Windows: the MSI's place is the default.
  std::vector<char*> args(argv, argv + argc);
  std::string fallback = default_config(), flag = "--config";
  bool has_config = false;
  for (int i = 2; i < argc; ++i) has_config = has_config || std::string(argv[i]) == "--config";
  if (!has_config && argc >= 2) {
    args.push_back(flag.data());
    args.push_back(fallback.data());
  }
  auto parsed = parse_agent_args(static_cast<int>(args.size()), args.data());
  if (!parsed.ok()) return std::cerr << parsed.error() << "\n" << kUsage, 2;
  const AgentArgs& a = *parsed;
  if (a.command == "service") return cmd_service(a.config);
  if (a.command == "run") return cmd_run(a.config);
  if (a.command == "check-config") {
    WindowsHostOps host(g_net_api());
    return cmd_check_config(a, host);
  }
  if (a.command == "enrol") return cmd_enrol(a);
  if (a.command == "stop-keeper") return cmd_stop_keeper(a.config);
  if (a.command == "install-services") return cmd_install_services(a.config);
  if (a.command == "release-all") return cmd_release_all(a.config);
  if (a.command == "uninstall") return cmd_uninstall(a.config);
  std::cerr << "unknown command " << a.command << "\n" << kUsage;
  return 2;
}

}  // namespace poolha::agent::windows
