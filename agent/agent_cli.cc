#include "agent/agent_cli.h"

#include <filesystem>
#include <iostream>

#include "agent/enrol.h"
#include "common/fs_path.h"
#include "wire/pki.h"

namespace poolha::agent {

Expected<AgentArgs> parse_agent_args(int argc, char** argv) {
  AgentArgs a;
  if (argc < 2) return Expected<AgentArgs>::Error("missing command");
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) return Expected<AgentArgs>::Error(k + ": missing value");
    if (k == "--config") a.config = argv[++i];
    else if (k == "--controller") a.controller = argv[++i];
    else if (k == "--token") a.token = argv[++i];
    else return Expected<AgentArgs>::Error("unknown option " + k);
  }
  if (a.config.empty()) return Expected<AgentArgs>::Error(a.command + ": --config FILE is required");
  return a;
}

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

int cmd_check_config(const AgentArgs& a, HostOps& host) {
  auto cfg = load_config(a.config);
  Status st = cfg.ok() ? check_monitors(*cfg, host) : cfg.status();
  std::error_code ec;
  if (st.ok() && std::filesystem::exists(fs_path(cfg->tls.cert), ec)) st = check_certificate(*cfg);
  if (!st.ok()) {
    std::cout << st.error() << "\n";
    return 1;
  }
  std::cout << "ok\n";
  return 0;
}

int cmd_enrol(const AgentArgs& a) {
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

Expected<CommandLedger> load_ledger(const AgentConfig& cfg) {
  const std::string state_file = cfg.state_dir + "/agent-state.json";
  auto text = pki::read_file(state_file);
  if (!text.ok()) {
    std::error_code ec;
    if (!std::filesystem::exists(fs_path(state_file), ec)) return CommandLedger();
    return Status::Error(state_file + ": " + text.error());
  }
  auto loaded = CommandLedger::from_json(*text);
  if (!loaded.ok())
    return Status::Error(state_file + ": " + loaded.error() + " (move it away to start afresh: epochs would be forgotten)");
  return loaded;
}

}  // namespace poolha::agent
