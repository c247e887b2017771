// poolha-agent: the node agent (run, check-config, enrol, stop-keeper). This file
// is the composition root: it picks the Linux HostOps and the Linux keeper launcher.
#include <sys/stat.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <string>

#include "agent/agent_cli.h"
#include "agent/daemon.h"
#include "host/linux/host_ops_linux.h"
#include "host/linux/keeper_launcher.h"

namespace {

using namespace poolha;
using namespace poolha::agent;

constexpr char kUsage[] =
    "usage: poolha-agent COMMAND [options]\n"
    "  run --config FILE                  run the agent daemon\n"
    "  check-config --config FILE         validate FILE; prints \"ok\" or the error\n"
    "  enrol --config FILE --controller ADDR:PORT --token TOKEN\n"
    "                                     obtain this node's certificate with a one-time token\n"
    "  stop-keeper --config FILE          stop poolha-lease-keeper for good (uninstall only)\n"
    "  --help, --version\n"
    "Configuration reference: docs/agent-config.md\n";

int cmd_stop_keeper(const AgentArgs& a) {
  auto cfg = load_config(a.config);
  if (!cfg.ok()) {
    std::cerr << cfg.error() << "\n";
    return 1;
  }
  auto lease = LeaseFile::open(cfg->state_dir + "/lease", false);
  if (!lease.ok()) {
    std::cerr << lease.error() << "\n";
    return 1;
  }
  lease->region().stop_requested.store(1);
  const int pid = host::linux_keeper::running_keeper(cfg->state_dir);
  std::cout << (pid ? "asked lease keeper (pid " + std::to_string(pid) + ") to exit\n" : "no lease keeper running\n");
  return 0;
}

int cmd_run(const AgentArgs& a) {
  auto cfg = load_config(a.config);
  if (!cfg.ok()) {
    std::cerr << cfg.error() << "\n";
    return 1;
  }
  spdlog::set_level(spdlog::level::from_str(cfg->log_level));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  host::LinuxHostOps host;
  if (auto st = check_monitors(*cfg, host); !st.ok()) return spdlog::critical("{}", st.error()), 1;
  if (auto st = check_certificate(*cfg); !st.ok()) return spdlog::critical("{}", st.error()), 1;
  std::error_code ec;
  std::filesystem::create_directories(cfg->state_dir, ec);
  std::filesystem::permissions(cfg->state_dir, std::filesystem::perms::owner_all, ec);

  auto ledger = load_ledger(*cfg);
  if (!ledger.ok()) return spdlog::critical("{}", ledger.error()), 1;
  // A keeper left from before an upgrade must not read the lease this agent may re-make.
  host::linux_keeper::stop_stale_keeper(host::linux_keeper::keeper_beside_self(), cfg->state_dir);
  auto lease = LeaseFile::open(cfg->state_dir + "/lease", true);
  if (!lease.ok()) return spdlog::critical("{}", lease.error()), 1;
  lease->region().stop_requested.store(0);  // a running agent always wants a keeper
  // Started before any thread exists (fork in a threaded process is fragile).
  auto keeper = host::linux_keeper::ensure_keeper(host::linux_keeper::keeper_beside_self(), cfg->state_dir);
  if (!keeper.ok()) return spdlog::critical("{}", keeper.error()), 1;
  spdlog::info("lease keeper pid {} watches {}/lease", *keeper, cfg->state_dir);

  std::signal(SIGPIPE, SIG_IGN);
  AgentDaemon daemon(std::move(*cfg), host, std::move(*lease), std::move(*ledger), "linux");
  return daemon.run();
}

}  // namespace

int main(int argc, char** argv) {
  ::umask(077);  // state files and directories are the agent's alone (scripts get 022 back)
  if (argc >= 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  if (argc >= 2 && std::string(argv[1]) == "--version") {
    std::cout << "poolha-agent " << kAgentVersion << "\n";
    return 0;
  }
  auto args = parse_agent_args(argc, argv);
  if (!args.ok()) {
    std::cerr << args.error() << "\n" << kUsage;
    return 2;
  }
  if (args->command == "run") return cmd_run(*args);
  if (args->command == "check-config") {
    host::LinuxHostOps host;
    return cmd_check_config(*args, host);
  }
  if (args->command == "enrol") return cmd_enrol(*args);
  if (args->command == "stop-keeper") return cmd_stop_keeper(*args);
  std::cerr << "unknown command " << args->command << "\n" << kUsage;
  return 2;
}
