// The `cluster:` section shared by the controller's and the arbiter's config files
// (docs/controller-config.md): this member's port for its peers and the list of all
// members. Both controllers and the arbiter list the same members; the first start
// of an empty database uses it as the initial membership (bootstrap).
#pragma once
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/yaml_reader.h"
#include "consensus/raft_types.h"
#include "wire/session.h"

namespace poolha::member {

struct ClusterMember {
  consensus::MemberId id;
  consensus::MemberRole role = consensus::MemberRole::Controller;
  wire::Endpoint address;            // member port
  std::optional<wire::Endpoint> api; // controllers: where their API answers (redirects)
  std::optional<wire::Endpoint> witness; // arbiters: their witness port (the arbiter's `listen`)
  bool standby = false;              // a non-voting member (the standby arbiter)
};

struct ClusterConfig {
  // The member port. Absent only in a one-controller cluster built from a config
  // without `cluster:` (sole_controller): it has no peers to hear.
  std::optional<wire::Endpoint> listen;
  std::vector<ClusterMember> members;
  // A voting arbiter silent this long is replaced by a caught-up standby arbiter.
  int64_t replace_arbiter_after_ms = 1500;
  // This member joins an existing cluster: an empty database starts with no
  // membership (it never campaigns) until the active controller adds it. Without it,
  // an empty database bootstraps from `members`, which is right only for a new cluster.
  bool join = false;
  // The membership an empty database starts from (none when joining).
  consensus::Membership initial() const;
  const ClusterMember* find(const consensus::MemberId& id) const;
  // The cluster of a controller configured without `cluster:`: itself as the only
  // voter, no member port. It runs on the same Raft log and storage as a pair.
  static ClusterConfig sole_controller(const consensus::MemberId& self);
  size_t voter_count() const;
};

// The `cluster:` section, read through the daemon's YamlReader (errors name the file,
// line and field: "controller.yaml:14:9: cluster.members[2].role: ..."). `self` must be
// among the members with the given role. Throws YamlReader::Failure.
ClusterConfig read_cluster_config(const YamlReader& r, const YAML::Node& node, const std::string& self,
                                  consensus::MemberRole self_role);
// The same for a section on its own (tests, `poolhactl cluster bootstrap`'s checks).
Expected<ClusterConfig> parse_cluster_config(const YAML::Node& node, const std::string& self,
                                             consensus::MemberRole self_role);

}  // namespace poolha::member
