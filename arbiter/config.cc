#include "arbiter/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>

#include "common/config_input.h"
#include "common/ids.h"
#include "wire/pki.h"

namespace poolha::arbiter {

namespace {

constexpr size_t kMaxConfigBytes = 64 * 1024;
constexpr int64_t kMaxSeesWithinMs = 600000;

std::string where(const std::string& source, const YAML::Node& n) {
  const auto m = n.Mark();
  if (m.is_null()) return source;
  return source + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

Expected<std::string> string_field(const std::string& src, const std::string& key, const YAML::Node& n) {
  if (!n.IsScalar() || n.Scalar().empty())
    return Expected<std::string>::Error(where(src, n) + ": " + key + ": expected a non-empty string");
  return n.Scalar();
}

Expected<int64_t> int_field(const std::string& src, const std::string& key, const YAML::Node& n, int64_t lo,
                            int64_t hi) {
  const std::string bad = where(src, n) + ": " + key + ": expected an integer from " + std::to_string(lo) + " to " +
                          std::to_string(hi);
  if (!n.IsScalar() || n.Tag() == "!") return Expected<int64_t>::Error(bad);
  const std::string& s = n.Scalar();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi)
    return Expected<int64_t>::Error(bad + ", got '" + s + "'");
  return v;
}

Status check_keys(const std::string& src, const std::string& path, const YAML::Node& map,
                  const std::set<std::string>& allowed, const std::set<std::string>& required) {
  std::set<std::string> seen;
  for (const auto& kv : map) {
    const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return Status::Error(where(src, kv.first) + ": unknown key '" + path + k + "' (allowed: " + list + ")");
    }
    if (!seen.insert(k).second) return Status::Error(where(src, kv.first) + ": key '" + path + k + "' given twice");
  }
  for (const auto& r : required)
    if (!seen.count(r)) return Status::Error(src + ": missing required key '" + path + r + "'");
  return Status::Ok();
}

}  // namespace

namespace {
Expected<ArbiterConfig> config_from(const YAML::Node& root, const std::string& src);
}  // namespace

Expected<ArbiterConfig> parse_config(const std::string& text, const std::string& src) {
  using R = Expected<ArbiterConfig>;
  if (auto st = check_config_text(text, src, kMaxConfigBytes); !st.ok()) return st;
  if (auto st = check_yaml_syntax(text, src); !st.ok()) return st;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return R::Error(src + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                    ": not valid YAML: " + e.msg);
  }
  if (auto st = check_yaml_shape(root, src); !st.ok()) return st;
  if (!root.IsMap()) return R::Error(src + ": expected a mapping of keys (name, tls, listen, ...)");
  // yaml-cpp throws where a node has another shape than asked for: an error, not a crash.
  try {
    return config_from(root, src);
  } catch (const YAML::Exception& e) {
    return R::Error(src + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

namespace {

Expected<ArbiterConfig> config_from(const YAML::Node& root, const std::string& src) {
  using R = Expected<ArbiterConfig>;
  if (auto st = check_keys(src, "", root, {"name", "tls", "listen", "sees_within_ms", "log_level", "state_dir", "cluster"},
                           {"name", "tls", "listen"});
      !st.ok())
    return st;

  ArbiterConfig c;
  auto name = string_field(src, "name", root["name"]);
  if (!name.ok()) return name.status();
  if (!valid_id(*name)) return R::Error(where(src, root["name"]) + ": name: " + kIdRule);
  c.name = *name;

  const YAML::Node tls = root["tls"];
  if (!tls.IsMap()) return R::Error(where(src, tls) + ": tls: expected a mapping with keys ca, cert, key");
  if (auto st = check_keys(src, "tls.", tls, {"ca", "cert", "key"}, {"ca", "cert", "key"}); !st.ok()) return st;
  for (auto [key, dest] : {std::pair{"ca", &c.tls.ca_file}, {"cert", &c.tls.cert_file}, {"key", &c.tls.key_file}}) {
    auto v = string_field(src, std::string("tls.") + key, tls[key]);
    if (!v.ok()) return v.status();
    *dest = *v;
  }

  auto listen = string_field(src, "listen", root["listen"]);
  if (!listen.ok()) return listen.status();
  auto ep = wire::parse_endpoint(*listen);
  if (!ep.ok()) return R::Error(where(src, root["listen"]) + ": listen: " + ep.error());
  c.listen = *ep;

  if (root["sees_within_ms"]) {
    auto v = int_field(src, "sees_within_ms", root["sees_within_ms"], 1, kMaxSeesWithinMs);
    if (!v.ok()) return v.status();
    c.sees_within_ms = *v;
  }
  if (root["log_level"]) {
    auto v = string_field(src, "log_level", root["log_level"]);
    if (!v.ok()) return v.status();
    static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (!levels.count(*v))
      return R::Error(where(src, root["log_level"]) + ": log_level: '" + *v +
                      "' is not one of trace, debug, info, warn, error, critical, off");
    c.log_level = *v;
  }
  if (root["cluster"]) {
    auto cl = member::parse_cluster_config(root["cluster"], c.name, consensus::MemberRole::Arbiter);
    if (!cl.ok()) return R::Error(where(src, root["cluster"]) + ": " + cl.error());
    c.cluster = *cl;
    auto dir = string_field(src, "state_dir", root["state_dir"]);
    if (!dir.ok()) return R::Error(src + ": state_dir: required with cluster (the arbiter keeps the log there)");
    c.state_dir = *dir;
  } else if (root["state_dir"]) {
    return R::Error(where(src, root["state_dir"]) + ": state_dir: only used with cluster");
  }
  return c;
}

}  // namespace

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
