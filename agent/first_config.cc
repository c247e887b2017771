#include "agent/first_config.h"

#include <vector>

#include "agent/config.h"
#include "common/ids.h"
#include "common/net_address.h"

namespace poolha::agent {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  for (auto& x : out) {
    while (!x.empty() && x.front() == ' ') x.erase(x.begin());
    while (!x.empty() && x.back() == ' ') x.pop_back();
  }
  return out;
}

// YAML double-quoted scalar of UTF-8 text without control characters.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

Status members(const std::string& property, const std::string& list, const char* role, std::string& yaml) {
  for (const auto& item : split(list, ',')) {
    const auto eq = item.find('=');
    const std::string name = eq == std::string::npos ? "" : item.substr(0, eq);
    const std::string addr = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (!valid_id(name) || !net::parse_endpoint(addr).ok())
      return Status::Error(property + ": '" + item + "' is not NAME=ADDRESS:PORT (e.g. ctl1=198.18.0.1:7400)");
    yaml += "  - {name: " + quoted(name) + ", address: " + quoted(addr) + ", role: " + role + "}\n";
  }
  return Status::Ok();
}

}  // namespace

Expected<std::string> first_agent_yaml(const InstallerValues& v) {
  if (!valid_id(v.node_id)) return Status::Error("NODE_ID: '" + v.node_id + "': expected " + kIdRule);
  if (v.controllers.empty()) return Status::Error("CONTROLLERS: empty; name every controller (ctl1=ADDRESS:PORT,...)");
  std::string yaml = "# Written by the installer from its properties; edit freely (docs/agent-config.md).\n";
  yaml += "node_id: " + quoted(v.node_id) + "\nmembers:\n";
  if (auto st = members("CONTROLLERS", v.controllers, "controller", yaml); !st.ok()) return st;
  if (!v.arbiter.empty())
    if (auto st = members("ARBITER", v.arbiter, "arbiter", yaml); !st.ok()) return st;
  if (!v.vip_interfaces.empty()) {
    yaml += "vip_interfaces:\n";
    for (const auto& i : split(v.vip_interfaces, ',')) yaml += "  - " + quoted(i) + "\n";
  }
  // The same checks as any agent.yaml, in the Windows form the installer writes.
  if (auto parsed = parse_config(yaml, "agent.yaml (from the installer)", PathStyle::Windows); !parsed.ok())
    return parsed.status();
  return yaml;
}

}  // namespace poolha::agent
