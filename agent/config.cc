#include "agent/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <set>

#include "agent/host.h"
#include "common/config_input.h"
#include "common/ids.h"
#include "common/net_address.h"
#include "common/utf8.h"
#include "common/yaml_reader.h"
#include "rules/validation.h"

namespace poolha::agent {

namespace {

using Y = YamlReader;

// A list of at most `max` strings under `key`: each item with its path ("key[2]").
void for_each_string(const Y& r, const YAML::Node& n, const std::string& key, const std::string& what, size_t max,
                     const std::function<void(const YAML::Node& at, const std::string& path, const std::string& value)>& each) {
  if (!n.IsSequence()) r.fail(n, key, "expected a list of " + what);
  if (n.size() > max) r.fail(n, key, "at most " + std::to_string(max) + " " + what);
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string path = key + "[" + std::to_string(i) + "]";
    each(n[i], path, r.text(n[i], path));
  }
}

int int32(const Y& r, const YAML::Node& n, const std::string& path, int lo, int hi) {
  return static_cast<int>(r.integer(n, path, lo, hi));
}

rules::MonitorSpec parse_monitor(const Y& r, const YAML::Node& n, const std::string& path) {
  r.keys(n, path, {"name", "kind", "params", "interval_ms", "timeout_ms", "threshold", "restarts", "restart_script"},
         {"name", "kind"});
  rules::MonitorSpec m;
  m.name = r.text(n["name"], Y::join(path, "name"));
  m.kind = r.text(n["kind"], Y::join(path, "kind"));
  if (auto p = n["params"]) {
    r.free_keys(p, Y::join(path, "params"), "strings");
    for (const auto& kv : p) {
      const std::string& key = kv.first.Scalar();
      m.params[key] = r.text(kv.second, Y::join(Y::join(path, "params"), key));
    }
  }
  using L = rules::MonitorLimits;
  if (auto v = n["interval_ms"]) m.interval_ms = r.integer(v, Y::join(path, "interval_ms"), L::kMinIntervalMs, L::kMaxIntervalMs);
  if (auto v = n["timeout_ms"]) m.timeout_ms = r.integer(v, Y::join(path, "timeout_ms"), L::kMinTimeoutMs, L::kMaxTimeoutMs);
  if (auto v = n["threshold"]) m.threshold = int32(r, v, Y::join(path, "threshold"), L::kMinThreshold, L::kMaxThreshold);
  if (auto v = n["restarts"]) m.restarts = int32(r, v, Y::join(path, "restarts"), 0, L::kMaxRestarts);
  if (auto v = n["restart_script"]) m.restart_script = r.text(v, Y::join(path, "restart_script"));
  // The controller's rule (rules/validation.h), so both accept the same monitors.
  if (auto p = rules::check_monitor(m)) r.fail(n[p->field].IsDefined() ? n[p->field] : n, Y::join(path, p->field), p->what);
  return m;
}

AgentConfig parse_root(const Y& r, const YAML::Node& root, PathStyle style) {
  r.keys(root, "",
         {"node_id", "state_dir", "script_dir", "tls", "members", "heartbeat_interval_ms", "isolation_timeout_ms",
          "isolation_address", "isolation_response", "arp", "monitors", "log_level", "script_output_encoding",
          "vip_subnets", "vip_interfaces", "log_dirs", "script_monitor_args"},
         {"node_id", "members"});
  AgentConfig c = default_config(style);
  c.node_id = r.text(root["node_id"], "node_id");
  if (!valid_id(c.node_id)) r.fail(root["node_id"], "node_id", std::string("expected ") + kIdRule);
  if (auto v = root["state_dir"]) c.state_dir = r.absolute_path(v, "state_dir", style);
  if (auto v = root["script_dir"]) c.script_dir = r.absolute_path(v, "script_dir", style);
  if (auto t = root["tls"]) {
    r.keys(t, "tls", {"ca", "cert", "key"});
    if (auto v = t["ca"]) c.tls.ca = r.absolute_path(v, "tls.ca", style);
    if (auto v = t["cert"]) c.tls.cert = r.absolute_path(v, "tls.cert", style);
    if (auto v = t["key"]) c.tls.key = r.absolute_path(v, "tls.key", style);
  }
  const auto members = root["members"];
  if (!members.IsSequence() || members.size() == 0)
    r.fail(members, "members", "expected a non-empty list: every controller and the arbiter");
  if (members.size() > 16) r.fail(members, "members", "at most 16 members");
  std::set<std::string> names;
  for (size_t i = 0; i < members.size(); ++i) {
    const std::string path = "members[" + std::to_string(i) + "]";
    const auto m = members[i];
    r.keys(m, path, {"name", "address", "role"}, {"name", "address", "role"});
    MemberConfig mc;
    mc.name = r.text(m["name"], Y::join(path, "name"));
    if (!valid_id(mc.name)) r.fail(m["name"], Y::join(path, "name"), std::string("expected ") + kIdRule);
    if (!names.insert(mc.name).second) r.fail(m["name"], Y::join(path, "name"), "duplicate member name '" + mc.name + "'");
    mc.address = r.endpoint(m["address"], Y::join(path, "address")).str();
    mc.role = r.one_of(m["role"], Y::join(path, "role"), {"controller", "arbiter"}) == "controller" ? MemberRole::Controller
                                                                                                  : MemberRole::Arbiter;
    c.members.push_back(mc);
  }
  if (auto v = root["heartbeat_interval_ms"]) c.heartbeat_interval_ms = int32(r, v, "heartbeat_interval_ms", 20, 10'000);
  if (auto v = root["isolation_timeout_ms"]) c.isolation_timeout_ms = int32(r, v, "isolation_timeout_ms", 100, 600'000);
  if (c.isolation_timeout_ms < 2 * c.heartbeat_interval_ms)
    r.fail(root["isolation_timeout_ms"], "isolation_timeout_ms",
           "must be at least twice heartbeat_interval_ms (" + std::to_string(c.heartbeat_interval_ms) + ")");
  if (auto v = root["isolation_address"]) {
    c.isolation_address = r.text(v, "isolation_address");
    if (const auto ip = net::parse_ip(c.isolation_address); !c.isolation_address.empty() && (!ip || ip->v6))
      r.fail(v, "isolation_address", "expected an IPv4 address or \"\"");
  }
  if (auto v = root["isolation_response"])
    c.isolation_response = r.one_of(v, "isolation_response", {"release", "keep"}) == "release" ? IsolationResponse::Release
                                                                                              : IsolationResponse::Keep;
  if (auto a = root["arp"]) {
    r.keys(a, "arp", {"probes", "probe_interval_ms", "probe_wait_ms", "announce_count", "announce_interval_ms"});
    if (auto v = a["probes"]) c.arp.probes = int32(r, v, "arp.probes", 1, 10);
    if (auto v = a["probe_interval_ms"]) c.arp.probe_interval_ms = int32(r, v, "arp.probe_interval_ms", 0, 2000);
    if (auto v = a["probe_wait_ms"]) c.arp.probe_wait_ms = int32(r, v, "arp.probe_wait_ms", 0, 5000);
    if (auto v = a["announce_count"]) c.arp.announce_count = int32(r, v, "arp.announce_count", 1, 10);
    if (auto v = a["announce_interval_ms"]) c.arp.announce_interval_ms = int32(r, v, "arp.announce_interval_ms", 0, 2000);
  }
  if (auto ms = root["monitors"]) {
    if (!ms.IsSequence()) r.fail(ms, "monitors", "expected a list");
    if (ms.size() > 64) r.fail(ms, "monitors", "at most 64 monitors");
    std::set<std::string> seen;
    for (size_t i = 0; i < ms.size(); ++i) {
      const std::string path = "monitors[" + std::to_string(i) + "]";
      auto m = parse_monitor(r, ms[i], path);
      if (!seen.insert(m.name).second) r.fail(ms[i]["name"], Y::join(path, "name"), "duplicate monitor name '" + m.name + "'");
      c.monitors.push_back(std::move(m));
    }
  }
  if (auto v = root["vip_subnets"])
    for_each_string(r, v, "vip_subnets", "subnets such as 198.18.1.0/24", 64,
                    [&](const YAML::Node& at, const std::string& path, const std::string& cidr) {
                      const auto prefix = prefix_length(cidr);
                      if (!prefix) r.fail(at, path, "'" + cidr + "' is not a subnet such as 198.18.1.0/24");
                      const bool v4 = cidr.find(':') == std::string::npos;
                      if (*prefix < (v4 ? 8 : 16))
                        r.fail(at, path, "'" + cidr + "' is wider than /" + (v4 ? "8" : "16") +
                                             ": list the subnets VIPs live in");
                      c.vip_policy.subnets.push_back(subnet_of(cidr));
                    });
  if (auto v = root["vip_interfaces"])
    for_each_string(r, v, "vip_interfaces", "interface names", 64,
                    [&](const YAML::Node& at, const std::string& path, const std::string& name) {
                      // At most 63 bytes: what the isolation lease can list (host/lease.h).
                      bool ok = !name.empty() && name.size() <= 63 && text::is_valid_utf8(name);
                      for (unsigned char ch : name) ok = ok && ch >= 0x20 && ch != 0x7F && ch != '/';
                      if (!ok)
                        r.fail(at, path, "expected an interface name (1..63 bytes of UTF-8, no control characters or '/')");
                      c.vip_policy.interfaces.push_back(name);
                    });
  if (auto v = root["log_dirs"])
    for_each_string(r, v, "log_dirs", "absolute directories", 64,
                    [&](const YAML::Node& at, const std::string& path, const std::string& value) {
                      std::string dir = value;
                      if (!is_absolute_path(dir, style)) r.fail(at, path, "expected an absolute path");
                      const char sep = style == PathStyle::Windows ? '\\' : '/';
                      if (style == PathStyle::Windows) std::replace(dir.begin(), dir.end(), '/', '\\');
                      const size_t root_len = style == PathStyle::Windows ? 3 : 1;
                      while (dir.size() > root_len && dir.back() == sep) dir.pop_back();
                      const std::string s(1, sep);
                      if (dir.size() <= root_len || (dir + s).find(s + ".." + s) != std::string::npos ||
                          (dir + s).find(s + "." + s) != std::string::npos)
                        r.fail(at, path, "'" + dir + "': name the directories that hold the logs, not a root and without . or ..");
                      c.log_dirs.push_back(dir);
                    });
  if (auto v = root["script_monitor_args"]) c.script_monitor_args = r.boolean(v, "script_monitor_args");
  if (auto v = root["script_output_encoding"]) {
    auto e = text::parse_encoding(r.text(v, "script_output_encoding"));
    if (!e || *e == text::Encoding::Utf16le) r.fail(v, "script_output_encoding", "expected console | utf-8 | gbk");
    c.script_output_encoding = *e;
  }
  if (auto v = root["log_level"])
    c.log_level = r.one_of(v, "log_level", {"trace", "debug", "info", "warn", "error", "critical", "off"});
  return c;
}

}  // namespace

Status validate_monitor_shape(const rules::MonitorSpec& m, const std::string& where) {
  // The controller's rule (rules/validation.h), so both accept the same monitors.
  if (auto p = rules::check_monitor(m)) return Status::Error(where + "." + p->field + ": " + p->what);
  return Status::Ok();
}

AgentConfig default_config(PathStyle style) {
  AgentConfig c;
  if (style == PathStyle::Windows) {
    const std::string root = "C:\\ProgramData\\poolha\\";
    c.state_dir = root + "agent";
    c.script_dir = root + "scripts";
    c.tls = {root + "ca.crt", root + "agent.crt", root + "agent.key"};
  }
  return c;
}

Expected<AgentConfig> parse_config(const std::string& yaml_text, const std::string& source, PathStyle style) {
  return read_yaml_config<AgentConfig>(yaml_text, source, kMaxConfigBytes, "node_id, members, ...",
                                       [style](const Y& r, const YAML::Node& root) { return parse_root(r, root, style); });
}

Expected<AgentConfig> load_config(const std::string& path) {
  const auto slash = path.find_last_of(kNativePathStyle == PathStyle::Windows ? "/\\" : "/");
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  auto text = read_config_file(path);
  if (!text.ok()) return text.status();
  return parse_config(*text, name);
}

std::string to_string(IsolationResponse r) { return r == IsolationResponse::Release ? "release" : "keep"; }

}  // namespace poolha::agent
