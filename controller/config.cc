#include "controller/config.h"

#include <yaml-cpp/yaml.h>

#include "common/config_input.h"
#include "common/ids.h"
#include "common/net_address.h"
#include "common/yaml_reader.h"
#include "rules/json_codec.h"
#include "rules/validation.h"

namespace poolha::controller {

namespace {

ControllerConfig config_from(const YamlReader& r, const YAML::Node& root) {
  r.keys(root, "",
         {"name", "state_dir", "tls", "ca_key", "listen_agents", "listen_enrol", "listen_api", "arbiter", "settings",
          "arbiter_timeout_ms", "log_level", "cluster", "controller_vip", "webui_dir"},
         {"name", "state_dir", "tls", "listen_agents", "listen_api"});
  ControllerConfig c;
  c.name = r.text(root["name"], "name");
  if (!valid_id(c.name)) r.fail(root["name"], "name", kIdRule);
  c.state_dir = r.nonempty_text(root["state_dir"], "state_dir");
  const auto tls = root["tls"];
  r.keys(tls, "tls", {"ca", "cert", "key"}, {"ca", "cert", "key"});
  c.tls.ca_file = r.nonempty_text(tls["ca"], "tls.ca");
  c.tls.cert_file = r.nonempty_text(tls["cert"], "tls.cert");
  c.tls.key_file = r.nonempty_text(tls["key"], "tls.key");
  if (root["ca_key"]) c.ca_key = r.nonempty_text(root["ca_key"], "ca_key");
  c.listen_agents = r.endpoint(root["listen_agents"], "listen_agents");
  if (root["listen_enrol"]) {
    c.listen_enrol = r.endpoint(root["listen_enrol"], "listen_enrol");
    if (c.ca_key.empty()) r.fail(root["listen_enrol"], "listen_enrol", "needs ca_key (the CA key signs enrolment requests)");
  }
  c.listen_api = r.endpoint(root["listen_api"], "listen_api");
  if (root["arbiter"]) c.arbiter = r.endpoint(root["arbiter"], "arbiter");
  if (root["arbiter_timeout_ms"]) c.arbiter_timeout_ms = r.integer(root["arbiter_timeout_ms"], "arbiter_timeout_ms", 50, 5000);
  if (root["webui_dir"]) c.webui_dir = r.absolute_path(root["webui_dir"], "webui_dir");
  if (root["log_level"]) c.log_level = r.one_of(root["log_level"], "log_level", {"trace", "debug", "info", "warn", "error"});
  if (const auto s = root["settings"]) {
    // Settings use the engine's own JSON form, so the names match the API and docs.
    r.free_keys(s, "settings", "timings");  // unknown names are refused by settings_from_json
    rules::Json j = rules::Json::object();
    for (const auto& kv : s) j[kv.first.Scalar()] = r.integer(kv.second, "settings." + kv.first.Scalar(), 0, 3600000);
    auto parsed = rules::settings_from_json(j);
    if (!parsed.ok()) r.fail(s, "settings", parsed.error());
    if (auto why = rules::validate_settings(*parsed); !why.empty()) r.fail(s, "settings", why);
    c.settings = *parsed;
  }
  if (const auto v = root["controller_vip"]) {
    r.keys(v, "controller_vip", {"cidr", "interface"}, {"cidr"});
    c.controller_vip = r.text(v["cidr"], "controller_vip.cidr");
    if (v["interface"]) c.controller_vip_interface = r.nonempty_text(v["interface"], "controller_vip.interface");
    const auto cidr = net::parse_cidr(c.controller_vip);
    if (!cidr || cidr->address.v6)
      r.fail(v["cidr"], "controller_vip.cidr", "expected an IPv4 address with its prefix, like 198.18.0.100/24");
  }
  c.cluster = root["cluster"] ? member::read_cluster_config(r, root["cluster"], c.name, consensus::MemberRole::Controller)
                              : member::ClusterConfig::sole_controller(c.name);
  // The arbiter is a witness (vouching, the host-loss consult) of a one-voter cluster;
  // with more voters it is a member, and its witness port is listed there.
  if (c.arbiter && c.cluster.voter_count() != 1)
    r.fail(root["arbiter"], "arbiter",
           "with " + std::to_string(c.cluster.voter_count()) +
               " voters in cluster.members, give each arbiter's witness port as cluster.members[].witness instead");
  return c;
}

}  // namespace

Expected<ControllerConfig> load_controller_config(const std::string& path) {
  auto text = read_config_file(path);
  if (!text.ok()) return text.status();
  return parse_controller_config(*text, path);
}

Expected<ControllerConfig> parse_controller_config(const std::string& text, const std::string& path) {
  return read_yaml_config<ControllerConfig>(text, path, kMaxConfigBytes, "name, state_dir, tls, ...", config_from);
}

}  // namespace poolha::controller
