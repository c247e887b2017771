#include "cli/bootstrap_plan.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <set>

#include "common/ids.h"
#include "common/net_address.h"
#include "wire/pki.h"

namespace poolha::cli {

namespace {

Status check_vip(const std::string& cidr) {
  const auto ip = net::parse_ip(cidr.substr(0, cidr.find('/')));
  if (!ip || ip->v6 || cidr.find('/') == std::string::npos)
    return Status::Error("--controller-vip '" + cidr + "': expected an IPv4 cidr such as 198.18.0.90/24");
  if (const auto c = net::parse_cidr(cidr); !c || c->prefix < 1)
    return Status::Error("--controller-vip '" + cidr + "': the prefix length must be 1..32");
  return Status::Ok();
}

// "{name}" in a directory stands for the member's name (several members on one machine).
std::string for_member(std::string dir, const std::string& name) {
  for (size_t at; (at = dir.find("{name}")) != std::string::npos;) dir.replace(at, 6, name);
  return dir;
}

std::string endpoint(const std::string& ip, int port) { return ip + ":" + std::to_string(port); }

// The `cluster:` block, identical in every member's file except `listen`.
void emit_cluster(YAML::Emitter& y, const BootstrapInput& in, const BootstrapMember& self) {
  y << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "listen" << YAML::Value << endpoint(self.ip, kBootstrapMemberPort);
  y << YAML::Key << "members" << YAML::Value << YAML::BeginSeq;
  for (const auto& m : in.members) {
    y << YAML::Flow << YAML::BeginMap;
    y << YAML::Key << "id" << YAML::Value << m.name;
    y << YAML::Key << "role" << YAML::Value << m.role;
    y << YAML::Key << "address" << YAML::Value << endpoint(m.ip, kBootstrapMemberPort);
    if (m.role == "controller") y << YAML::Key << "api" << YAML::Value << endpoint(m.ip, kBootstrapApiPort);
    else y << YAML::Key << "witness" << YAML::Value << endpoint(m.ip, kBootstrapAgentPort);
    if (m.standby) y << YAML::Key << "standby" << YAML::Value << true;
    y << YAML::EndMap;
  }
  y << YAML::EndSeq << YAML::EndMap;
}

void emit_tls(YAML::Emitter& y, const BootstrapInput& in, const std::string& name) {
  const std::string tls = for_member(in.etc_dir, name) + "/tls/";
  y << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "ca" << YAML::Value << tls + "ca.crt";
  y << YAML::Key << "cert" << YAML::Value << tls + bootstrap_cert_name(name);
  y << YAML::Key << "key" << YAML::Value << tls + bootstrap_key_name(name);
  y << YAML::EndMap;
}

std::string header(const BootstrapMember& m, const BootstrapInput& in) {
  return "# poolha " + m.role + " " + m.name + " (" + m.ip + "), written by poolhactl cluster bootstrap.\n"
         "# Install as " + for_member(in.etc_dir, m.name) + "/" + m.role + ".yaml on that host, with " +
         for_member(in.etc_dir, m.name) +
         "/tls/{ca.crt," + m.name + ".crt," + m.name + ".key}.\n"
         "# The cluster: block is the same in every member's file; the first start of empty\n"
         "# databases forms the cluster from it (docs/controller-config.md).\n";
}

}  // namespace

Expected<BootstrapMember> parse_member_option(const std::string& role, const std::string& value) {
  const auto eq = value.find('=');
  if (eq == std::string::npos)
    return Expected<BootstrapMember>::Error("--" + role + " '" + value + "': expected NAME=IP, e.g. ctl-a=198.18.0.1");
  BootstrapMember m{value.substr(0, eq), role, value.substr(eq + 1)};
  if (!valid_id(m.name))
    return Expected<BootstrapMember>::Error("--" + role + " '" + value + "': the name must be " + kIdRule);
  // Member folders sit beside the CA's and the operator's files in DIR.
  for (const char* reserved : {"ca", "operator", "ca.crt", "ca.key", "operator.crt", "operator.key", "agent-members.yaml"})
    if (m.name == reserved)
      return Expected<BootstrapMember>::Error("--" + role + " '" + value + "': '" + m.name +
                                              "' is a file of DIR itself (the CA, the operator, the agents' list); "
                                              "choose another name");
  if (const auto ip = net::parse_ip(m.ip); !ip || ip->v6)
    return Expected<BootstrapMember>::Error("--" + role + " '" + value + "': '" + m.ip + "' is not an IPv4 address");
  return m;
}

Expected<std::vector<BootstrapFile>> render_bootstrap(const BootstrapInput& in) {
  using Out = Expected<std::vector<BootstrapFile>>;
  size_t controllers = 0, arbiters = 0;
  std::set<std::string> names, ips;
  for (const auto& m : in.members) {
    (m.role == "controller" ? controllers : arbiters)++;
    if (!names.insert(m.name).second) return Out::Error("member " + m.name + " is named twice");
    if (!ips.insert(m.ip).second) return Out::Error("address " + m.ip + " is given to two members; each member is its own host");
  }
  if (controllers != 2)
    return Out::Error("a control plane has exactly two controllers (--controller NAME=IP twice), got " +
                      std::to_string(controllers));
  if (arbiters < 1)
    return Out::Error("a control plane needs an arbiter (--arbiter NAME=IP); a second --arbiter becomes a standby arbiter");
  if (!in.controller_vip.empty()) {
    if (auto st = check_vip(in.controller_vip); !st.ok()) return Out::Error(st.error());
    if (ips.count(vip_address(in.controller_vip)))
      return Out::Error("--controller-vip " + in.controller_vip + " is a member's own address; choose a free one");
  }
  for (const auto* d : {&in.etc_dir, &in.state_dir})
    if (d->empty() || (*d)[0] != '/' || d->find_first_of("\n\r\"") != std::string::npos)
      return Out::Error("directory '" + *d + "' must be an absolute path");

  std::vector<BootstrapMember> members = in.members;
  bool voting_arbiter = false;
  for (auto& m : members)
    if (m.role == "arbiter") {
      m.standby = voting_arbiter;
      voting_arbiter = true;
    }
  BootstrapInput resolved = in;
  resolved.members = members;

  std::vector<BootstrapFile> files;
  for (const auto& m : members) {
    YAML::Emitter y;
    y << YAML::BeginMap;
    y << YAML::Key << "name" << YAML::Value << m.name;
    y << YAML::Key << "state_dir" << YAML::Value << for_member(in.state_dir, m.name) + "/" + m.role;
    emit_tls(y, in, m.name);
    if (m.role == "controller") {
      y << YAML::Key << "listen_agents" << YAML::Value << endpoint(m.ip, kBootstrapAgentPort);
      // On every address when there is a VIP: the API must answer on it.
      y << YAML::Key << "listen_api" << YAML::Value
        << endpoint(in.controller_vip.empty() ? m.ip : "0.0.0.0", kBootstrapApiPort);
      if (!in.controller_vip.empty())
        y << YAML::Key << "controller_vip" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "cidr"
          << YAML::Value << in.controller_vip << YAML::EndMap;
    } else {
      y << YAML::Key << "listen" << YAML::Value << endpoint(m.ip, kBootstrapAgentPort);
    }
    emit_cluster(y, resolved, m);
    y << YAML::EndMap;
    files.push_back({m.name, m.role + ".yaml", header(m, in) + y.c_str() + "\n"});
  }
  // Agents heartbeat to every member.
  YAML::Emitter a;
  a << YAML::BeginMap << YAML::Key << "members" << YAML::Value << YAML::BeginSeq;
  for (const auto& m : members)
    a << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << m.name << YAML::Key << "address"
      << YAML::Value << endpoint(m.ip, kBootstrapAgentPort) << YAML::Key << "role" << YAML::Value << m.role << YAML::EndMap;
  a << YAML::EndSeq << YAML::EndMap;
  files.push_back({"", "agent-members.yaml",
                   std::string("# The members: list for every agent's agent.yaml (docs/agent-config.md).\n") + a.c_str() +
                       "\n"});
  return files;
}

}  // namespace poolha::cli
