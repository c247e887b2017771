#include "host/check_spec.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "common/net_address.h"
#include "common/text_encoding.h"
#include "common/utf8.h"
#include "host/windows/script_command.h"

namespace poolha::host {

namespace {

using namespace checks;
using std::chrono::milliseconds;

struct KindName {
  CheckKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {CheckKind::Process, "process"},     {CheckKind::Service, "service"},   {CheckKind::TcpPort, "tcp_port"},
    {CheckKind::Http, "http"},           {CheckKind::Cpu, "cpu"},           {CheckKind::Memory, "memory"},
    {CheckKind::Disk, "disk"},           {CheckKind::NicLink, "nic_link"},  {CheckKind::Gateway, "gateway"},
    {CheckKind::LogPattern, "log_pattern"}, {CheckKind::Script, "script"},
};

constexpr std::size_t kMaxPatternBytes = 1024;
constexpr int64_t kPatternMaxMem = 1 << 20;

bool has_ctl_or_nul(const std::string& s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

Status check_allowed(const CheckSpec& spec, std::initializer_list<const char*> allowed) {
  for (const auto& [k, v] : spec.params) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || k == a;
    if (!ok) return Status::Error("unknown param '" + k + "' for " + to_string(spec.kind) + " check");
    if (v.find('\0') != std::string::npos) return Status::Error("param '" + k + "' contains a NUL byte");
  }
  return Status::Ok();
}

Status need(const CheckSpec& spec, const std::string& key) {
  const std::string* p = param(spec, key);
  if (!p || p->empty()) return Status::Error("missing param '" + key + "' for " + to_string(spec.kind) + " check");
  return Status::Ok();
}

Status need_percent(const CheckSpec& spec) {
  if (Status s = need(spec, "max_percent"); !s.ok()) return s;
  if (!parse_percent(get(spec, "max_percent")))
    return Status::Error("param 'max_percent' = '" + get(spec, "max_percent") + "' is not a number in (0, 100]");
  return Status::Ok();
}

// An absolute path in the OS's form: "/var/log/gw.log" on Linux, "D:\logs\gw.log" on
// Windows (either slash); with `strict`, also without "." or ".." or empty components
// (a log file's path, compared with log_dirs). Returns it with Windows separators made '\'.
Expected<std::string> need_abs_path(const CheckSpec& spec, const std::string& key, HostOs os, bool strict) {
  if (Status s = need(spec, key); !s.ok()) return s;
  std::string p = *param(spec, key);
  const auto bad = [&](const std::string& why) {
    return Status::Error("param '" + key + "' = '" + text::log_safe(p, 200) + "' " + why);
  };
  if (has_ctl_or_nul(p)) return bad(os == HostOs::Windows ? "contains control characters" : "must be an absolute path");
  std::string sep = "/";
  if (os == HostOs::Windows) {
    std::replace(p.begin(), p.end(), '/', '\\');
    if (p.size() < 3 || !std::isalpha(static_cast<unsigned char>(p[0])) || p[1] != ':' || p[2] != '\\')
      return bad("must be an absolute path with a drive letter (C:\\...)");
    sep = "\\";
    if (p.find(':', 2) != std::string::npos) return bad("contains ':' after the drive (a data stream?)");
  } else if (p.front() != '/') {
    return bad("must be an absolute path");
  }
  if (!strict) return p;
  const size_t root = os == HostOs::Windows ? 2 : 0;
  for (const std::string& comp : {sep + ".." + sep, sep + "." + sep, sep + sep})
    if ((p.substr(root) + sep).find(comp) != std::string::npos && !(p.size() == root + 1))
      return bad("contains a '" + comp.substr(1, comp.size() - 2) + "' path component");
  if (os == HostOs::Windows)  // CON, NUL, COM1...: opening one acts on a device
    for (size_t at = 3; at < p.size();) {
      const size_t end = std::min(p.find('\\', at), p.size());
      if (windows::is_device_name(p.substr(at, end - at))) return bad("names a device");
      at = end + 1;
    }
  return p;
}

Status validate_process(const CheckSpec& spec, HostOs os) {
  if (Status s = check_allowed(spec, {"name", "cmdline", "min_count"}); !s.ok()) return s;
  const std::string* n = param(spec, "name");
  const std::string* c = param(spec, "cmdline");
  if ((!n || n->empty()) && (!c || c->empty())) return Status::Error("process check needs param 'name' or 'cmdline'");
  const char* seps = os == HostOs::Windows ? "/\\" : "/";
  if (n && (n->empty() || n->find_first_of(seps) != std::string::npos || has_ctl_or_nul(*n) ||
            (os == HostOs::Windows && n->size() > 260)))
    return Status::Error("param 'name' = '" + text::log_safe(*n, 64) + "' is not a valid process name" +
                         (os == HostOs::Windows ? " (an image name such as gateway.exe)" : ""));
  if (c && c->empty()) return Status::Error("param 'cmdline' is empty");
  if (const std::string* m = param(spec, "min_count"); m && !parse_long(*m, 1, 1000000))
    return Status::Error("param 'min_count' = '" + *m + "' is not an integer in 1..1000000");
  return Status::Ok();
}

Status validate_service(const CheckSpec& spec, HostOs os) {
  const char* key = os == HostOs::Windows ? "name" : "unit";
  if (Status s = check_allowed(spec, {key}); !s.ok()) return s;
  if (Status s = need(spec, key); !s.ok()) return s;
  const std::string& u = *param(spec, key);
  if (os == HostOs::Windows) {
    // A service key name: at most 256 characters, no slashes (SCM rules).
    bool ok = u.size() <= 256 && text::is_valid_utf8(u) && !has_ctl_or_nul(u) && u.find_first_of("/\\") == std::string::npos;
    if (!ok) return Status::Error("param 'name' = '" + text::log_safe(u, 64) + "' is not a valid Windows service name");
    return Status::Ok();
  }
  bool ok = u.front() != '-' && u.size() <= 256;
  for (char c : u) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr(":_.@-\\", c));
  if (!ok) return Status::Error("param 'unit' = '" + u + "' is not a valid systemd unit name");
  return Status::Ok();
}

Status validate_nic(const CheckSpec& spec, HostOs os) {
  if (Status s = check_allowed(spec, {"interface"}); !s.ok()) return s;
  if (Status s = need(spec, "interface"); !s.ok()) return s;
  const std::string& i = *param(spec, "interface");
  bool ok = i != "." && i != ".." && !has_ctl_or_nul(i) && text::is_valid_utf8(i);
  if (os == HostOs::Windows) {
    ok = ok && i.size() <= 256;  // an alias such as "以太网 2"
  } else {
    ok = ok && i.size() <= 15;
    for (char c : i) ok = ok && c != '/' && !std::isspace(static_cast<unsigned char>(c));
  }
  if (!ok) return Status::Error("param 'interface' = '" + text::log_safe(i, 64) + "' is not a valid interface name");
  return Status::Ok();
}

Status validate_log(const CheckSpec& spec, const CheckPolicy& policy, HostOs os) {
  if (Status s = check_allowed(spec, {"path", "pattern", "encoding"}); !s.ok()) return s;
  auto path = need_abs_path(spec, "path", os, true);
  if (!path.ok()) return path.status();
  if (Status s = need(spec, "pattern"); !s.ok()) return s;
  if (policy.log_dirs.empty())
    return Status::Error("log_pattern monitors are refused: this host's agent.yaml lists no log_dirs");
  bool inside = false;
  for (const auto& dir : policy.log_dirs) inside = inside || inside_dir(*path, dir, os);
  if (!inside) return Status::Error("param 'path' = '" + text::log_safe(*path, 200) + "' is outside this host's log_dirs");
  std::string err;
  if (!compile_pattern(get(spec, "pattern"), &err))
    return Status::Error("param 'pattern' = '" + text::log_safe(get(spec, "pattern"), 64) +
                         "' is not a valid RE2 pattern: " + err);
  if (const std::string* e = param(spec, "encoding"); e && (!text::parse_encoding(*e) || *text::parse_encoding(*e) ==
                                                                                          text::Encoding::Console))
    return Status::Error("param 'encoding' = '" + text::log_safe(*e, 32) + "': expected utf-8, gbk or utf-16");
  return Status::Ok();
}

Status validate_script(const CheckSpec& spec, const CheckPolicy& policy, HostOs os) {
  if (Status s = check_allowed(spec, {"name", "args"}); !s.ok()) return s;
  if (Status s = need(spec, "name"); !s.ok()) return s;
  const std::string& n = *param(spec, "name");
  if (os == HostOs::Windows) {
    if (Status s = windows::validate_script_name(n); !s.ok()) return Status::Error("param 'name': " + s.error());
  } else {
    if (n.front() == '/') return Status::Error("param 'name' = '" + n + "' must be relative to the script directory");
    for (const auto& comp : {std::string("/../"), std::string("/./"), std::string("//")})
      if (("/" + n + "/").find(comp) != std::string::npos)
        return Status::Error("param 'name' = '" + n + "' contains a '" + comp.substr(1, comp.size() - 2) +
                             "' path component");
  }
  if (has_ctl_or_nul(n) || has_ctl_or_nul(get(spec, "args")))
    return Status::Error("param 'name' or 'args' contains control characters");
  // Arguments come from the controller: an admin's wrapper that passes "$@" on
  // would run what the controller says (issue 9 §3). Only where agent.yaml allows.
  const auto args = split_ws(get(spec, "args"));
  if (!args.empty() && !policy.script_args)
    return Status::Error("param 'args': script monitors may not take arguments on this host "
                         "(agent.yaml script_monitor_args: false)");
  if (args.size() > 16) return Status::Error("param 'args': at most 16 arguments");
  // '%' would expand in a batch file's cmd.exe on Windows.
  const char* plain = os == HostOs::Windows ? "._:=@+,/-" : "._:=@%+,/-";
  for (const auto& a : args) {
    bool ok = a.size() <= 128;
    for (char c : a) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr(plain, c));
    if (!ok)
      return Status::Error("param 'args': '" + a + "' is not a plain argument (letters, digits, " + plain + ")");
  }
  return Status::Ok();
}

}  // namespace

std::optional<CheckKind> parse_check_kind(const std::string& s) {
  for (const auto& kn : kKindNames)
    if (s == kn.name) return kn.kind;
  return std::nullopt;
}

std::string to_string(CheckKind k) {
  for (const auto& kn : kKindNames)
    if (k == kn.kind) return kn.name;
  return "unknown";
}

Expected<CheckSpec> to_spec(const CheckRequest& c, const char* os_name) {
  auto kind = parse_check_kind(c.kind);
  if (!kind) return Status::Error("kind '" + c.kind + "' is not supported on " + os_name);
  return CheckSpec{*kind, c.params, c.timeout};
}

Status validate_spec(const CheckSpec& spec, const CheckPolicy& policy, HostOs os) {
  if (spec.timeout < milliseconds(1) || spec.timeout > kMaxTimeout)
    return Status::Error("timeout " + std::to_string(spec.timeout.count()) + " ms for " + to_string(spec.kind) +
                         " check is outside 1..600000 ms");
  switch (spec.kind) {
    case CheckKind::Process: return validate_process(spec, os);
    case CheckKind::Service: return validate_service(spec, os);
    case CheckKind::TcpPort: {
      if (Status s = check_allowed(spec, {"host", "port"}); !s.ok()) return s;
      if (Status s = need(spec, "port"); !s.ok()) return s;
      if (!parse_long(get(spec, "port"), 1, 65535))
        return Status::Error("param 'port' = '" + get(spec, "port") + "' is not in 1..65535");
      const std::string host = get(spec, "host", "127.0.0.1");
      if (!net::parse_ip(host))
        return Status::Error("param 'host' = '" + text::log_safe(host, 64) + "' is not an IPv4/IPv6 literal (no DNS lookups)");
      return Status::Ok();
    }
    case CheckKind::Http: {
      if (Status s = check_allowed(spec, {"url", "expect_status"}); !s.ok()) return s;
      if (Status s = need(spec, "url"); !s.ok()) return s;
      if (auto u = parse_url(get(spec, "url")); !u.ok()) return u.status();
      if (const std::string* e = param(spec, "expect_status"); e && !parse_long(*e, 100, 599))
        return Status::Error("param 'expect_status' = '" + *e + "' is not in 100..599");
      return Status::Ok();
    }
    case CheckKind::Cpu:
    case CheckKind::Memory:
      if (Status s = check_allowed(spec, {"max_percent"}); !s.ok()) return s;
      return need_percent(spec);
    case CheckKind::Disk:
      if (Status s = check_allowed(spec, {"path", "max_percent"}); !s.ok()) return s;
      if (auto p = need_abs_path(spec, "path", os, false); !p.ok()) return p.status();
      return need_percent(spec);
    case CheckKind::NicLink: return validate_nic(spec, os);
    case CheckKind::Gateway: {
      if (Status s = check_allowed(spec, {"address"}); !s.ok()) return s;
      if (Status s = need(spec, "address"); !s.ok()) return s;
      const auto ip = net::parse_ip(get(spec, "address"));
      if (!ip || ip->v6)
        return Status::Error("param 'address' = '" + text::log_safe(get(spec, "address"), 64) + "' is not an IPv4 address");
      return Status::Ok();
    }
    case CheckKind::LogPattern: return validate_log(spec, policy, os);
    case CheckKind::Script: return validate_script(spec, policy, os);
  }
  return Status::Error("unknown check kind");
}

namespace checks {

bool inside_dir(const std::string& path, const std::string& dir, HostOs os) {
  const char sep = os == HostOs::Windows ? '\\' : '/';
  std::string root = dir;
  if (os == HostOs::Windows) std::replace(root.begin(), root.end(), '/', '\\');
  if (root.empty() || root.back() != sep) root += sep;
  if (path.size() <= root.size()) return false;
  return os == HostOs::Windows ? text::ascii_lower(path.substr(0, root.size())) == text::ascii_lower(root)
                                : path.compare(0, root.size(), root) == 0;
}

const std::string* param(const CheckSpec& spec, const std::string& key) {
  auto it = spec.params.find(key);
  return it == spec.params.end() ? nullptr : &it->second;
}

std::string get(const CheckSpec& spec, const std::string& key, const std::string& dflt) {
  const std::string* p = param(spec, key);
  return p ? *p : dflt;
}

std::optional<long> parse_long(const std::string& s, long lo, long hi) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  long v = std::strtol(s.c_str(), nullptr, 10);
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

std::optional<double> parse_percent(const std::string& s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || c == '.')) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v) || v <= 0 || v > 100) return std::nullopt;
  return v;
}

std::vector<std::string> split_ws(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::string fmt_pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v);
  return buf;
}

std::string fmt_num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string summarize(const std::string& s, std::size_t cap) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  return text::clean_text(out, cap + 3, "...");
}

std::string host_port(const std::string& host, int port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Expected<Url> parse_url(const std::string& s) {
  const std::string scheme = "http://";
  if (s.compare(0, 8, "https://") == 0) return Expected<Url>::Error("param 'url': https is not supported");
  if (s.compare(0, scheme.size(), scheme) != 0) return Expected<Url>::Error("param 'url' must start with http://");
  if (has_ctl_or_nul(s) || s.find(' ') != std::string::npos)
    return Expected<Url>::Error("param 'url' contains spaces or control characters");
  std::string rest = s.substr(scheme.size());
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  Url u;
  if (slash != std::string::npos) u.path = rest.substr(slash);
  if (u.path.find('#') != std::string::npos) u.path = u.path.substr(0, u.path.find('#'));
  std::string port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) return Expected<Url>::Error("param 'url': unterminated [IPv6] host");
    u.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Expected<Url>::Error("param 'url': junk after [IPv6] host");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
  }
  if (u.host.empty()) return Expected<Url>::Error("param 'url' has no host");
  if (has_port) {
    auto p = parse_long(port_text, 1, 65535);
    if (!p) return Expected<Url>::Error("param 'url': bad port '" + port_text + "'");
    u.port = static_cast<int>(*p);
  }
  if (!net::parse_ip(u.host))
    return Expected<Url>::Error("param 'url': host '" + u.host + "' is not an IP literal (no DNS lookups)");
  return u;
}

milliseconds time_left(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
  return left < milliseconds(1) ? milliseconds(1) : left;
}

CheckOutcome script_outcome(const std::string& name, const ScriptRun& run, text::Encoding encoding) {
  const std::string out = summarize(text::decode_to_utf8(run.output, encoding));
  const std::string tail = out.empty() ? "" : ": " + out;
  if (run.timed_out)
    return {false, "script " + name + " timed out after " + std::to_string(run.duration.count()) + " ms" + tail};
  return {run.exit_code == 0, "script " + name + " exited " + std::to_string(run.exit_code) + " in " +
                                  std::to_string(run.duration.count()) + " ms" + tail};
}

std::unique_ptr<re2::RE2> compile_pattern(const std::string& pattern, std::string* error) {
  if (pattern.size() > kMaxPatternBytes) {
    *error = "longer than " + std::to_string(kMaxPatternBytes) + " bytes";
    return nullptr;
  }
  re2::RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(kPatternMaxMem);
  auto re = std::make_unique<re2::RE2>(pattern, o);
  if (!re->ok()) {
    *error = re->error();
    return nullptr;
  }
  return re;
}

}  // namespace checks

}  // namespace poolha::host
