#include "controller/config.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "common/config_input.h"
#include "common/net_address.h"
#include "rules/json_codec.h"
#include "rules/validation.h"

namespace poolha::controller {

namespace {

struct Reader {
  std::string file;
  std::string error;

  bool fail(const std::string& field, const std::string& why) {
    if (error.empty()) error = file + ": " + field + ": " + why;
    return false;
  }
  bool check_keys(const YAML::Node& n, const std::string& where, const std::set<std::string>& allowed) {
    if (!n.IsMap()) return fail(where.empty() ? "(top level)" : where, "expected a mapping");
    for (const auto& kv : n) {
      const auto key = kv.first.as<std::string>();
      if (!allowed.count(key)) return fail(where.empty() ? key : where + "." + key, "unknown key");
    }
    return true;
  }
  bool text(const YAML::Node& n, const std::string& field, std::string* out, bool required) {
    if (!n) return required ? fail(field, "is required") : true;
    if (!n.IsScalar()) return fail(field, "expected a string");
    *out = n.as<std::string>();
    if (required && out->empty()) return fail(field, "must not be empty");
    return true;
  }
  bool endpoint(const YAML::Node& n, const std::string& field, wire::Endpoint* out) {
    std::string s;
    if (!text(n, field, &s, true)) return false;
    auto ep = wire::parse_endpoint(s);
    if (!ep.ok()) return fail(field, ep.error());
    *out = *ep;
    return true;
  }
  bool integer(const YAML::Node& n, const std::string& field, int64_t* out, int64_t lo, int64_t hi) {
    if (!n) return true;
    try {
      if (!n.IsScalar()) throw YAML::Exception(YAML::Mark(), "");
      *out = n.as<int64_t>();
    } catch (const YAML::Exception&) {
      return fail(field, "expected an integer " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    if (*out < lo || *out > hi) return fail(field, "must be " + std::to_string(lo) + ".." + std::to_string(hi));
    return true;
  }
};

}  // namespace

namespace {
Expected<ControllerConfig> config_from(const YAML::Node& root, const std::string& path);
}  // namespace

Expected<ControllerConfig> load_controller_config(const std::string& path) {
  auto text = read_config_file(path);
  if (!text.ok()) return text.status();
  return parse_controller_config(*text, path);
}

Expected<ControllerConfig> parse_controller_config(const std::string& text, const std::string& path) {
  if (auto st = check_config_text(text, path); !st.ok()) return st;
  if (auto st = check_yaml_syntax(text, path); !st.ok()) return st;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Expected<ControllerConfig>::Error(path + ": line " + std::to_string(e.mark.line + 1) + ", column " +
                                             std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (auto st = check_yaml_shape(root, path); !st.ok()) return st;
  if (!root.IsMap()) return Expected<ControllerConfig>::Error(path + ": expected a mapping of keys (name, state_dir, tls, ...)");
  // yaml-cpp throws where a node has another shape than asked for: whatever slips past
  // the checks below is still an error naming the file, never a crash at start.
  try {
    return config_from(root, path);
  } catch (const YAML::Exception& e) {
    return Expected<ControllerConfig>::Error(path + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

namespace {

Expected<ControllerConfig> config_from(const YAML::Node& root, const std::string& path) {
  Reader r{path, ""};
  ControllerConfig c;
  r.check_keys(root, "", {"name", "state_dir", "tls", "ca_key", "listen_agents", "listen_enrol", "listen_api", "arbiter",
                          "settings", "arbiter_timeout_ms", "log_level", "cluster", "controller_vip"});
  r.text(root["name"], "name", &c.name, true);
  if (r.error.empty() && !rules::valid_id(c.name)) r.fail("name", "use 1-63 letters, digits, '.', '_' or '-'");
  r.text(root["state_dir"], "state_dir", &c.state_dir, true);
  if (r.error.empty()) {
    const auto tls = root["tls"];
    if (!tls) r.fail("tls", "is required (ca, cert, key)");
    else if (r.check_keys(tls, "tls", {"ca", "cert", "key"})) {
      r.text(tls["ca"], "tls.ca", &c.tls.ca_file, true);
      r.text(tls["cert"], "tls.cert", &c.tls.cert_file, true);
      r.text(tls["key"], "tls.key", &c.tls.key_file, true);
    }
  }
  r.text(root["ca_key"], "ca_key", &c.ca_key, false);
  r.endpoint(root["listen_agents"], "listen_agents", &c.listen_agents);
  if (root["listen_enrol"]) {
    wire::Endpoint ep;
    if (r.endpoint(root["listen_enrol"], "listen_enrol", &ep)) c.listen_enrol = ep;
    if (r.error.empty() && c.ca_key.empty()) r.fail("listen_enrol", "needs ca_key (the CA key signs enrolment requests)");
  }
  r.endpoint(root["listen_api"], "listen_api", &c.listen_api);
  if (root["arbiter"]) {
    wire::Endpoint ep;
    if (r.endpoint(root["arbiter"], "arbiter", &ep)) c.arbiter = ep;
  }
  r.integer(root["arbiter_timeout_ms"], "arbiter_timeout_ms", &c.arbiter_timeout_ms, 50, 5000);
  r.text(root["log_level"], "log_level", &c.log_level, false);
  if (r.error.empty() && !std::set<std::string>{"trace", "debug", "info", "warn", "error"}.count(c.log_level))
    r.fail("log_level", "must be one of trace, debug, info, warn, error");
  if (r.error.empty() && root["settings"]) {
    // Settings use the engine's own JSON form, so the names match the API and docs.
    rules::Json j = rules::Json::object();
    const auto s = root["settings"];
    if (!s.IsMap()) r.fail("settings", "expected a mapping");
    else
      for (const auto& kv : s) {
        int64_t v = 0;
        const auto key = kv.first.as<std::string>();
        if (r.integer(kv.second, "settings." + key, &v, 0, 3600000)) j[key] = v;
      }
    if (r.error.empty()) {
      auto parsed = rules::settings_from_json(j);
      if (!parsed.ok()) r.fail("settings", parsed.error());
      else if (auto why = rules::validate_settings(*parsed); !why.empty()) r.fail("settings", why);
      else c.settings = *parsed;
    }
  }
  if (r.error.empty() && root["controller_vip"]) {
    const auto v = root["controller_vip"];
    if (!v.IsMap()) r.fail("controller_vip", "expected a mapping with cidr (and interface)");
    else if (r.check_keys(v, "controller_vip", {"cidr", "interface"})) {
      r.text(v["cidr"], "controller_vip.cidr", &c.controller_vip, true);
      r.text(v["interface"], "controller_vip.interface", &c.controller_vip_interface, false);
      const auto cidr = net::parse_cidr(c.controller_vip);
      if (r.error.empty() && (!cidr || cidr->address.v6))
        r.fail("controller_vip.cidr", "expected an IPv4 address with its prefix, like 198.18.0.100/24");
    }
  }
  if (r.error.empty()) {
    if (!root["cluster"]) {
      c.cluster = member::ClusterConfig::sole_controller(c.name);
    } else if (auto cl = member::parse_cluster_config(root["cluster"], c.name, consensus::MemberRole::Controller); !cl.ok()) {
      r.error = path + ": " + cl.error();
    } else {
      c.cluster = *cl;
    }
    // The arbiter is a witness (vouching, the host-loss consult) of a one-voter
    // cluster; with more voters it is a member, and its witness port is listed there.
    if (r.error.empty() && c.arbiter && c.cluster.voter_count() != 1)
      r.error = path + ": arbiter: with " + std::to_string(c.cluster.voter_count()) +
                " voters in cluster.members, give each arbiter's witness port as cluster.members[].witness instead";
  }
  if (!r.error.empty()) return Expected<ControllerConfig>::Error(r.error);
  return c;
}

}  // namespace
}  // namespace poolha::controller
