// `poolhactl cluster bootstrap`: what a new control plane's members need, worked out
// before anything is written. Given the two controllers and the arbiter(s) with
// their addresses, it checks them and renders each member's config file with the
// one shared `cluster:` block (docs/controller-config.md), plus the `members:` list
// agents need. Pure (no files, no keys): the command issues the certificates and
// writes what this returns; tests parse it with the daemons' own parsers.
#pragma once
#include <string>
#include <vector>

#include "common/status.h"

namespace poolha::cli {

// The ports a bootstrapped cluster uses on every member (documented in docs/cli.md).
inline constexpr int kBootstrapAgentPort = 7400;   // controllers' listen_agents, arbiters' listen (witness)
inline constexpr int kBootstrapMemberPort = 7403;  // cluster.listen
inline constexpr int kBootstrapApiPort = 7443;     // controllers' listen_api

struct BootstrapMember {
  std::string name;  // certificate CN and member id
  std::string role;  // "controller" or "arbiter"
  std::string ip;    // IPv4 literal: its management address
  bool standby = false;  // arbiters after the first: standby arbiters (non-voting)
};

struct BootstrapInput {
  std::vector<BootstrapMember> members;
  std::string controller_vip;  // "" or IPv4 "A.B.C.D/P": held by the active controller
  // Where each member's files will be on its host, and the folder its state_dir goes
  // under (<state_dir>/controller or /arbiter). "{name}" stands for the member's name,
  // for several members on one machine (tests, the demo).
  std::string etc_dir = "/etc/poolha";
  std::string state_dir = "/var/lib/poolha";
};

struct BootstrapFile {
  std::string member;   // "" for a file for agents
  std::string name;     // controller.yaml, arbiter.yaml, agent-members.yaml
  std::string content;
};

// "NAME=IP" from --controller / --arbiter; error names the option and the value.
Expected<BootstrapMember> parse_member_option(const std::string& role, const std::string& value);

// Checks the member set (exactly two controllers, at least one arbiter, names valid as
// certificate CNs and unique, IPv4 addresses unique, the VIP an IPv4 cidr not equal to
// a member's address, absolute directories) and renders the files. The second and
// later arbiters are standby arbiters. Errors say what to change.
Expected<std::vector<BootstrapFile>> render_bootstrap(const BootstrapInput& in);

// The certificate file names for a member under `<etc_dir>/tls/`.
inline std::string bootstrap_cert_name(const std::string& member) { return member + ".crt"; }
inline std::string bootstrap_key_name(const std::string& member) { return member + ".key"; }

// The address part of a "A.B.C.D/P" cidr (the controller VIP).
inline std::string vip_address(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

}  // namespace poolha::cli
