// poolha-agent: the node agent (run, check-config, enrol, stop-keeper). This file
// is the composition root: it picks the Linux HostOps and the Linux keeper launcher.
#include <sys/stat.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <string>

#include "agent/command_ledger.h"
#include "agent/config.h"
#include "agent/daemon.h"
#include "agent/enrol.h"
#include "agent/host.h"
#include "host/linux/host_ops_linux.h"
#include "host/linux/keeper_launcher.h"
#include "wire/pki.h"

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

struct Args {
  std::string command, config, controller, token;
};

Expected<Args> parse_args(int argc, char** argv) {
  Args a;
  if (argc < 2) return Expected<Args>::Error("missing command");
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) return Expected<Args>::Error(k + ": missing value");
    if (k == "--config") a.config = argv[++i];
    else if (k == "--controller") a.controller = argv[++i];
    else if (k == "--token") a.token = argv[++i];
    else return Expected<Args>::Error("unknown option " + k);
  }
  if (a.config.empty()) return Expected<Args>::Error(a.command + ": --config FILE is required");
  return a;
}

// node_id must be the CN of our certificate (the controller checks it too).
Status check_certificate(const AgentConfig& cfg) {
  auto pem = pki::read_file(cfg.tls.cert);
  if (!pem.ok()) return Status::Error("tls.cert: " + pem.error() + " (run `poolha-agent enrol` first)");
  auto id = pki::identity_of(*pem);
  if (!id.ok()) return Status::Error("tls.cert: " + id.error());
  if (id->common_name != cfg.node_id)
    return Status::Error("node_id '" + cfg.node_id + "' does not match the certificate's CN '" + id->common_name + "'");
  return Status::Ok();
}

Status check_monitors(const AgentConfig& cfg, HostOps& host) {
  for (size_t i = 0; i < cfg.monitors.size(); ++i) {
    const auto& m = cfg.monitors[i];
    if (auto st = host.validate_check({m.kind, m.params, std::chrono::milliseconds(m.timeout_ms)}, cfg.check_policy());
        !st.ok())
      return Status::Error("monitors[" + std::to_string(i) + "] (" + m.name + "): " + st.error());
  }
  return Status::Ok();
}

int cmd_check_config(const Args& a) {
  auto cfg = load_config(a.config);
  host::LinuxHostOps host;
  Status st = cfg.ok() ? check_monitors(*cfg, host) : cfg.status();
  if (st.ok() && std::filesystem::exists(cfg->tls.cert)) st = check_certificate(*cfg);
  if (!st.ok()) {
    std::cout << st.error() << "\n";
    return 1;
  }
  std::cout << "ok\n";
  return 0;
}

int cmd_enrol(const Args& a) {
  if (a.controller.empty() || a.token.empty()) {
    std::cerr << "enrol: --controller ADDR:PORT and --token TOKEN are required\n";
    return 2;
  }
  auto cfg = load_config(a.config);
  if (!cfg.ok()) {
    std::cerr << cfg.error() << "\n";
    return 1;
  }
  auto out = enrol(*cfg, a.controller, a.token);
  if (!out.ok()) {
    std::cerr << out.error() << "\n";
    return 1;
  }
  std::cout << *out;
  return 0;
}

int cmd_stop_keeper(const Args& a) {
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

int cmd_run(const Args& a) {
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

  CommandLedger ledger;
  const std::string state_file = cfg->state_dir + "/agent-state.json";
  if (std::filesystem::exists(state_file)) {
    auto text = pki::read_file(state_file);
    auto loaded = text.ok() ? CommandLedger::from_json(*text) : Expected<CommandLedger>(text.status());
    if (!loaded.ok())
      return spdlog::critical("{}: {} (move it away to start afresh: epochs would be forgotten)", state_file,
                              loaded.error()),
             1;
    ledger = std::move(*loaded);
  }
  auto lease = LeaseFile::open(cfg->state_dir + "/lease", true);
  if (!lease.ok()) return spdlog::critical("{}", lease.error()), 1;
  lease->region().stop_requested.store(0);  // a running agent always wants a keeper
  // Started before any thread exists (fork in a threaded process is fragile).
  auto keeper = host::linux_keeper::ensure_keeper(host::linux_keeper::keeper_beside_self(), cfg->state_dir);
  if (!keeper.ok()) return spdlog::critical("{}", keeper.error()), 1;
  spdlog::info("lease keeper pid {} watches {}/lease", *keeper, cfg->state_dir);

  std::signal(SIGPIPE, SIG_IGN);
  AgentDaemon daemon(std::move(*cfg), host, std::move(*lease), std::move(ledger), "linux");
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
  auto args = parse_args(argc, argv);
  if (!args.ok()) {
    std::cerr << args.error() << "\n" << kUsage;
    return 2;
  }
  if (args->command == "run") return cmd_run(*args);
  if (args->command == "check-config") return cmd_check_config(*args);
  if (args->command == "enrol") return cmd_enrol(*args);
  if (args->command == "stop-keeper") return cmd_stop_keeper(*args);
  std::cerr << "unknown command " << args->command << "\n" << kUsage;
  return 2;
}
