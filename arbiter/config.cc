#include "arbiter/config.h"

#include <yaml-cpp/yaml.h>

#include "common/config_input.h"
#include "common/yaml_reader.h"
#include "common/ids.h"
#include "wire/pki.h"

namespace poolha::arbiter {

namespace {

constexpr size_t kMaxConfigBytes = 64 * 1024;
constexpr int64_t kMaxSeesWithinMs = 600000;

ArbiterConfig config_from(const YamlReader& r, const YAML::Node& root) {
  r.keys(root, "", {"name", "tls", "listen", "sees_within_ms", "log_level", "state_dir", "cluster"},
         {"name", "tls", "listen"});
  ArbiterConfig c;
  c.name = r.nonempty_text(root["name"], "name");
  if (!valid_id(c.name)) r.fail(root["name"], "name", kIdRule);
  const YAML::Node tls = root["tls"];
  r.keys(tls, "tls", {"ca", "cert", "key"}, {"ca", "cert", "key"});
  c.tls.ca_file = r.nonempty_text(tls["ca"], "tls.ca");
  c.tls.cert_file = r.nonempty_text(tls["cert"], "tls.cert");
  c.tls.key_file = r.nonempty_text(tls["key"], "tls.key");
  c.listen = r.endpoint(root["listen"], "listen");
  if (root["sees_within_ms"]) c.sees_within_ms = r.integer(root["sees_within_ms"], "sees_within_ms", 1, kMaxSeesWithinMs);
  if (root["log_level"])
    c.log_level = r.one_of(root["log_level"], "log_level", {"trace", "debug", "info", "warn", "error", "critical", "off"});
  if (root["cluster"]) {
    c.cluster = member::read_cluster_config(r, root["cluster"], c.name, consensus::MemberRole::Arbiter);
    if (!root["state_dir"]) r.fail(root["cluster"], "state_dir", "required with cluster (the arbiter keeps the log there)");
    c.state_dir = r.nonempty_text(root["state_dir"], "state_dir");
  } else if (root["state_dir"]) {
    r.fail(root["state_dir"], "state_dir", "only used with cluster");
  }
  return c;
}

}  // namespace

Expected<ArbiterConfig> parse_config(const std::string& text, const std::string& src) {
  return read_yaml_config<ArbiterConfig>(text, src, kMaxConfigBytes, "name, tls, listen, ...", config_from);
}

Expected<ArbiterConfig> load_config(const std::string& path) {
  auto text = pki::read_file(path, kMaxConfigBytes);
  if (!text.ok()) return Expected<ArbiterConfig>::Error("config: " + text.error());
  return parse_config(*text, path);
}

Status check_tls_files(const wire::TlsFiles& tls) {
  for (auto [what, file] : {std::pair{"tls.ca", &tls.ca_file}, {"tls.cert", &tls.cert_file}, {"tls.key", &tls.key_file}}) {
    auto r = pki::read_file(*file, pki::kMaxPemBytes);
    if (!r.ok()) return Status::Error(std::string(what) + ": " + r.error());
  }
  return Status::Ok();
}

}  // namespace poolha::arbiter
