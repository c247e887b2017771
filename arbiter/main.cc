// poolha-arbiter: the liveness witness and quorum tie-breaker (design §3.1, §3.3).
// Usage and exit codes: docs/arbiter-config.md.
#include <utility>  // before Asio (see wire/session.h)

#include <sys/stat.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <cstdio>
#include <cstring>
#include <string>

#include "arbiter/config.h"
#include "arbiter/daemon.h"
#include "arbiter/log_keeper.h"
#include "common/utf8.h"
#include "wire/event_loop.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitConfig = 2;

const char* kUsage =
    "usage: poolha-arbiter run --config FILE        run the arbiter\n"
    "       poolha-arbiter check-config --config FILE  check the config and TLS files, then exit\n"
    "       poolha-arbiter --help | --version\n"
    "\n"
    "The config file is YAML: name, tls {ca, cert, key}, listen, sees_within_ms, log_level\n"
    "(see docs/arbiter-config.md). Exit codes: 0 ok, 1 runtime failure (cannot listen),\n"
    "2 usage, config or TLS file error.\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "poolha-arbiter: %s\n%s", msg.c_str(), kUsage);
  return kExitConfig;
}

int run(const poolha::arbiter::ArbiterConfig& config) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  boost::asio::io_context io(1);
  poolha::arbiter::ArbiterDaemon daemon(io, config);
  std::unique_ptr<poolha::arbiter::LogKeeper> keeper;
  if (config.cluster) {
    keeper = std::make_unique<poolha::arbiter::LogKeeper>(io, config);
    keeper->report_sightings_from([&daemon](const std::vector<std::string>& nodes) { return daemon.unheard(nodes); });
    daemon.refuse_revoked([k = keeper.get()](const poolha::pki::Identity& id) { return k->revoked(id); });
    daemon.follow_leader([k = keeper.get()] {
      auto [leader, term] = k->leader();
      return poolha::arbiter::ArbiterDaemon::LeaderView{leader, term};
    });
    if (auto st = keeper->start(); !st.ok()) {
      spdlog::critical("cannot start the consensus member: {}", st.error());
      return kExitRuntime;
    }
  }
  if (auto st = daemon.start(); !st.ok()) {
    const bool tls = st.error().rfind("tls: ", 0) == 0;
    spdlog::critical("cannot start: {}; {}", st.error(),
                     tls ? "check the tls: paths in the config (poolhactl cert issue --role arbiter creates them)"
                         : "check that the listen address is configured on this host and the port is free");
    return tls ? kExitConfig : kExitRuntime;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping", sig);
    daemon.stop();
    io.stop();
  });
  poolha::wire::run_event_loop(io, [](const std::string& what) {
    spdlog::critical("internal error (a bug; please report it): {}; the arbiter carries on", poolha::text::log_safe(what, 1024));
  });
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  ::umask(077);  // its state (the Raft log) is the arbiter's alone
  spdlog::set_default_logger(spdlog::stderr_color_mt("arbiter"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  if (argc < 2) return usage_error("missing command");
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (cmd == "--version") {
    std::printf("poolha-arbiter %s\n", POOLHA_VERSION);
    return kExitOk;
  }
  if (cmd != "run" && cmd != "check-config") return usage_error("unknown command '" + cmd + "'");
  std::string config_path;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else {
      return usage_error("unexpected argument '" + a + "'");
    }
  }
  if (config_path.empty()) return usage_error(cmd + ": --config FILE is required");

  auto config = poolha::arbiter::load_config(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "poolha-arbiter: %s\nfix the config file (reference: docs/arbiter-config.md)\n",
                 config.error().c_str());
    return kExitConfig;
  }
  if (cmd == "check-config") {
    auto files = poolha::arbiter::check_tls_files(config->tls);
    auto ctx = poolha::wire::mutual_tls_context(config->tls, /*server=*/true);
    if (!files.ok() || !ctx.ok()) {
      std::fprintf(stderr, "poolha-arbiter: %s\nfix the tls: paths in %s\n",
                   (files.ok() ? "tls: " + ctx.error() : files.error()).c_str(), config_path.c_str());
      return kExitConfig;
    }
    std::printf("config OK: name %s, listen %s, sees_within_ms %lld, log_level %s\n", config->name.c_str(),
                config->listen.str().c_str(), static_cast<long long>(config->sees_within_ms),
                config->log_level.c_str());
    return kExitOk;
  }
  return run(*config);
}
