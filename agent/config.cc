#include "agent/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

#include "agent/host.h"
#include "common/config_input.h"
#include "common/ids.h"
#include "common/net_address.h"
#include "common/utf8.h"
#include "rules/validation.h"

namespace poolha::agent {

namespace {

// One parse: every helper throws a FieldError naming the dotted path; the top level
// turns it into a Status. Exceptions stay inside this file.
struct FieldError {
  std::string message;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw FieldError{path + ": " + what}; }

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

void only_keys(const YAML::Node& map, const std::string& path, const std::set<std::string>& allowed) {
  if (!map.IsMap()) fail(path.empty() ? "(top level)" : path, "expected a mapping");
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) fail(path.empty() ? "(top level)" : path, "keys must be plain names");
    const auto key = kv.first.Scalar();
    if (!allowed.count(key)) fail(join(path, key), "unknown key");
  }
}

std::string get_string(const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar()) fail(path, "expected a string");
  return n.Scalar();
}

long long get_int(const YAML::Node& n, const std::string& path, long long lo, long long hi) {
  const std::string range = "expected an integer " + std::to_string(lo) + ".." + std::to_string(hi);
  if (!n.IsScalar()) fail(path, range);
  const std::string s = n.Scalar();
  const size_t digits_from = (!s.empty() && s[0] == '-') ? 1 : 0;
  if (s.size() == digits_from || s.size() > 18 || s.find_first_not_of("0123456789", digits_from) != std::string::npos)
    fail(path, range);
  long long v = 0;
  try {
    v = std::stoll(s);
  } catch (...) {
    fail(path, range);
  }
  if (v < lo || v > hi) fail(path, range);
  return v;
}

// A list of at most `max` strings under `key`: each item with its path ("key[2]").
void for_each_string(const YAML::Node& n, const std::string& key, const std::string& what, size_t max,
                     const std::function<void(const std::string& path, const std::string& value)>& each) {
  if (!n.IsSequence()) fail(key, "expected a list of " + what);
  if (n.size() > max) fail(key, "at most " + std::to_string(max) + " " + what);
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string path = key + "[" + std::to_string(i) + "]";
    each(path, get_string(n[i], path));
  }
}

int get_int32(const YAML::Node& n, const std::string& path, int lo, int hi) {
  return static_cast<int>(get_int(n, path, lo, hi));
}

rules::MonitorSpec parse_monitor(const YAML::Node& n, const std::string& path) {
  only_keys(n, path, {"name", "kind", "params", "interval_ms", "timeout_ms", "threshold", "restarts", "restart_script"});
  rules::MonitorSpec m;
  if (!n["name"]) fail(join(path, "name"), "required");
  if (!n["kind"]) fail(join(path, "kind"), "required");
  m.name = get_string(n["name"], join(path, "name"));
  m.kind = get_string(n["kind"], join(path, "kind"));
  if (auto p = n["params"]) {
    if (!p.IsMap()) fail(join(path, "params"), "expected a mapping of strings");
    for (const auto& kv : p) {
      const auto key = kv.first.Scalar();
      m.params[key] = get_string(kv.second, join(join(path, "params"), key));
    }
  }
  using L = rules::MonitorLimits;
  if (auto v = n["interval_ms"]) m.interval_ms = get_int(v, join(path, "interval_ms"), L::kMinIntervalMs, L::kMaxIntervalMs);
  if (auto v = n["timeout_ms"]) m.timeout_ms = get_int(v, join(path, "timeout_ms"), L::kMinTimeoutMs, L::kMaxTimeoutMs);
  if (auto v = n["threshold"]) m.threshold = get_int32(v, join(path, "threshold"), L::kMinThreshold, L::kMaxThreshold);
  if (auto v = n["restarts"]) m.restarts = get_int32(v, join(path, "restarts"), 0, L::kMaxRestarts);
  if (auto v = n["restart_script"]) m.restart_script = get_string(v, join(path, "restart_script"));
  if (auto st = validate_monitor_shape(m, path); !st.ok()) throw FieldError{st.error()};
  return m;
}

AgentConfig parse_root(const YAML::Node& root) {
  only_keys(root, "",
            {"node_id", "state_dir", "script_dir", "tls", "members", "heartbeat_interval_ms", "isolation_timeout_ms",
             "isolation_address", "isolation_response", "arp", "monitors", "log_level", "script_output_encoding",
             "vip_subnets", "vip_interfaces", "log_dirs", "script_monitor_args"});
  AgentConfig c;
  if (!root["node_id"]) fail("node_id", "required (the CN of this agent's certificate)");
  c.node_id = get_string(root["node_id"], "node_id");
  if (!valid_id(c.node_id)) fail("node_id", std::string("expected ") + kIdRule);
  auto abs_path = [](const YAML::Node& n, const std::string& path) {
    auto s = get_string(n, path);
    if (s.empty() || s.front() != '/') fail(path, "expected an absolute path");
    return s;
  };
  if (auto v = root["state_dir"]) c.state_dir = abs_path(v, "state_dir");
  if (auto v = root["script_dir"]) c.script_dir = abs_path(v, "script_dir");
  if (auto t = root["tls"]) {
    only_keys(t, "tls", {"ca", "cert", "key"});
    if (auto v = t["ca"]) c.tls.ca = abs_path(v, "tls.ca");
    if (auto v = t["cert"]) c.tls.cert = abs_path(v, "tls.cert");
    if (auto v = t["key"]) c.tls.key = abs_path(v, "tls.key");
  }
  if (!root["members"]) fail("members", "required: every controller and the arbiter");
  const auto members = root["members"];
  if (!members.IsSequence() || members.size() == 0) fail("members", "expected a non-empty list");
  if (members.size() > 16) fail("members", "at most 16 members");
  std::set<std::string> names;
  for (size_t i = 0; i < members.size(); ++i) {
    const std::string path = "members[" + std::to_string(i) + "]";
    const auto m = members[i];
    only_keys(m, path, {"name", "address", "role"});
    MemberConfig mc;
    if (!m["name"]) fail(join(path, "name"), "required");
    if (!m["address"]) fail(join(path, "address"), "required");
    if (!m["role"]) fail(join(path, "role"), "required (controller | arbiter)");
    mc.name = get_string(m["name"], join(path, "name"));
    if (!valid_id(mc.name)) fail(join(path, "name"), std::string("expected ") + kIdRule);
    if (!names.insert(mc.name).second) fail(join(path, "name"), "duplicate member name '" + mc.name + "'");
    mc.address = get_string(m["address"], join(path, "address"));
    if (!net::parse_endpoint(mc.address).ok()) fail(join(path, "address"), "expected IPv4:port or [IPv6]:port");
    const auto role = get_string(m["role"], join(path, "role"));
    if (role == "controller") mc.role = MemberRole::Controller;
    else if (role == "arbiter") mc.role = MemberRole::Arbiter;
    else fail(join(path, "role"), "expected controller | arbiter");
    c.members.push_back(mc);
  }
  if (auto v = root["heartbeat_interval_ms"]) c.heartbeat_interval_ms = get_int32(v, "heartbeat_interval_ms", 20, 10'000);
  if (auto v = root["isolation_timeout_ms"]) c.isolation_timeout_ms = get_int32(v, "isolation_timeout_ms", 100, 600'000);
  if (c.isolation_timeout_ms < 2 * c.heartbeat_interval_ms)
    fail("isolation_timeout_ms", "must be at least twice heartbeat_interval_ms (" +
                                     std::to_string(c.heartbeat_interval_ms) + ")");
  if (auto v = root["isolation_address"]) {
    c.isolation_address = get_string(v, "isolation_address");
    if (const auto ip = net::parse_ip(c.isolation_address); !c.isolation_address.empty() && (!ip || ip->v6))
      fail("isolation_address", "expected an IPv4 address or \"\"");
  }
  if (auto v = root["isolation_response"]) {
    const auto s = get_string(v, "isolation_response");
    if (s == "release") c.isolation_response = IsolationResponse::Release;
    else if (s == "keep") c.isolation_response = IsolationResponse::Keep;
    else fail("isolation_response", "expected release | keep");
  }
  if (auto a = root["arp"]) {
    only_keys(a, "arp", {"probes", "probe_interval_ms", "probe_wait_ms", "announce_count", "announce_interval_ms"});
    if (auto v = a["probes"]) c.arp.probes = get_int32(v, "arp.probes", 1, 10);
    if (auto v = a["probe_interval_ms"]) c.arp.probe_interval_ms = get_int32(v, "arp.probe_interval_ms", 0, 2000);
    if (auto v = a["probe_wait_ms"]) c.arp.probe_wait_ms = get_int32(v, "arp.probe_wait_ms", 0, 5000);
    if (auto v = a["announce_count"]) c.arp.announce_count = get_int32(v, "arp.announce_count", 1, 10);
    if (auto v = a["announce_interval_ms"]) c.arp.announce_interval_ms = get_int32(v, "arp.announce_interval_ms", 0, 2000);
  }
  if (auto ms = root["monitors"]) {
    if (!ms.IsSequence()) fail("monitors", "expected a list");
    if (ms.size() > 64) fail("monitors", "at most 64 monitors");
    std::set<std::string> seen;
    for (size_t i = 0; i < ms.size(); ++i) {
      const std::string path = "monitors[" + std::to_string(i) + "]";
      auto m = parse_monitor(ms[i], path);
      if (!seen.insert(m.name).second) fail(join(path, "name"), "duplicate monitor name '" + m.name + "'");
      c.monitors.push_back(std::move(m));
    }
  }
  if (auto v = root["vip_subnets"])
    for_each_string(v, "vip_subnets", "subnets such as 198.18.1.0/24", 64, [&](const std::string& path, const std::string& cidr) {
      const auto prefix = prefix_length(cidr);
      if (!prefix) fail(path, "'" + cidr + "' is not a subnet such as 198.18.1.0/24");
      const bool v4 = cidr.find(':') == std::string::npos;
      if (*prefix < (v4 ? 8 : 16)) fail(path, "'" + cidr + "' is wider than /" + (v4 ? "8" : "16") + ": list the subnets VIPs live in");
      c.vip_policy.subnets.push_back(subnet_of(cidr));
    });
  if (auto v = root["vip_interfaces"])
    for_each_string(v, "vip_interfaces", "interface names", 64, [&](const std::string& path, const std::string& name) {
      bool ok = !name.empty() && name.size() <= 256 && text::is_valid_utf8(name);
      for (unsigned char ch : name) ok = ok && ch >= 0x20 && ch != 0x7F && ch != '/';
      if (!ok) fail(path, "expected an interface name (1..256 bytes of UTF-8, no control characters or '/')");
      c.vip_policy.interfaces.push_back(name);
    });
  if (auto v = root["log_dirs"])
    for_each_string(v, "log_dirs", "absolute directories", 64, [&](const std::string& path, const std::string& value) {
      std::string dir = value;
      if (dir.empty() || dir.front() != '/') fail(path, "expected an absolute path");
      while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      if (dir == "/" || (dir + "/").find("/../") != std::string::npos || (dir + "/").find("/./") != std::string::npos)
        fail(path, "'" + dir + "': name the directories that hold the logs, not / and without . or ..");
      c.log_dirs.push_back(dir);
    });
  if (auto v = root["script_monitor_args"]) {
    if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false")) fail("script_monitor_args", "expected true | false");
    c.script_monitor_args = v.Scalar() == "true";
  }
  if (auto v = root["script_output_encoding"]) {
    auto e = text::parse_encoding(get_string(v, "script_output_encoding"));
    if (!e) fail("script_output_encoding", "expected utf-8 | gbk");
    c.script_output_encoding = *e;
  }
  if (auto v = root["log_level"]) {
    c.log_level = get_string(v, "log_level");
    static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (!levels.count(c.log_level)) fail("log_level", "expected trace | debug | info | warn | error | critical | off");
  }
  return c;
}

}  // namespace

Status validate_monitor_shape(const rules::MonitorSpec& m, const std::string& where) {
  // The controller's rule (rules/validation.h), so both accept the same monitors.
  if (auto p = rules::check_monitor(m)) return Status::Error(where + "." + p->field + ": " + p->what);
  return Status::Ok();
}

Expected<AgentConfig> parse_config(const std::string& yaml_text, const std::string& source) {
  if (auto st = check_config_text(yaml_text, source); !st.ok()) return st;
  if (auto st = check_yaml_syntax(yaml_text, source); !st.ok()) return st;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    if (auto st = check_yaml_shape(root, source); !st.ok()) return st;
    return parse_root(root);
  } catch (const FieldError& e) {
    return Expected<AgentConfig>::Error(source + ": " + e.message);
  } catch (const YAML::Exception& e) {
    return Expected<AgentConfig>::Error(source + ": YAML syntax: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Expected<AgentConfig> load_config(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  auto text = read_config_file(path);
  if (!text.ok()) return text.status();
  return parse_config(*text, name);
}

std::string to_string(IsolationResponse r) { return r == IsolationResponse::Release ? "release" : "keep"; }

}  // namespace poolha::agent
