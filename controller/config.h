// The controller's configuration file (YAML; reference: docs/controller-config.md).
// Loading is strict: an unknown key, a wrong type or a bad value is refused with a
// message naming the field, and the controller does not start.
#pragma once
#include <string>

#include "common/status.h"
#include "member/cluster_config.h"
#include "rules/model.h"
#include "wire/session.h"

namespace poolha::controller {

struct ControllerConfig {
  std::string name;
  std::string state_dir;
  wire::TlsFiles tls;
  std::string ca_key;  // signs enrolment requests; empty: enrolment disabled
  wire::Endpoint listen_agents;
  std::optional<wire::Endpoint> listen_enrol;
  wire::Endpoint listen_api;
  // The arbiter as a witness only (not a Raft voter): for a one-voter cluster.
  std::optional<wire::Endpoint> arbiter;
  rules::Settings settings;  // committed on the very first start only
  int64_t arbiter_timeout_ms = 300;
  std::string log_level = "info";
  // The replicated control plane this controller is a member of (docs/controller-
  // config.md, "cluster"). A config without `cluster:` makes a cluster of one voter,
  // on the same Raft log and storage.
  member::ClusterConfig cluster;
  // The address the active controller holds for the UI, API and CLI (empty: none).
  std::string controller_vip;
  std::string controller_vip_interface;  // empty: the interface in its subnet
  // The built console (webui/dist), served on the API port; a missing folder serves
  // the API alone.
  std::string webui_dir = "/usr/share/poolha/webui";
};

Expected<ControllerConfig> load_controller_config(const std::string& path);
// The same from text; `path` names it in errors.
Expected<ControllerConfig> parse_controller_config(const std::string& text, const std::string& path);

}  // namespace poolha::controller
