#include "member/cluster_config.h"

#include <set>

#include "common/ids.h"

namespace poolha::member {

consensus::Membership ClusterConfig::initial() const {
  consensus::Membership m;
  if (join) return m;
  for (const auto& c : members) (c.standby ? m.learners : m.voters)[c.id] = c.role;
  return m;
}

ClusterConfig ClusterConfig::sole_controller(const consensus::MemberId& self) {
  ClusterConfig c;
  c.members.push_back({.id = self, .role = consensus::MemberRole::Controller});
  return c;
}

size_t ClusterConfig::voter_count() const {
  size_t n = 0;
  for (const auto& c : members) n += c.standby ? 0 : 1;
  return n;
}

const ClusterMember* ClusterConfig::find(const consensus::MemberId& id) const {
  for (const auto& c : members)
    if (c.id == id) return &c;
  return nullptr;
}

ClusterConfig read_cluster_config(const YamlReader& r, const YAML::Node& node, const std::string& self,
                                  consensus::MemberRole self_role) {
  r.keys(node, "cluster", {"listen", "members", "replace_arbiter_after_ms", "join"}, {"listen", "members"});
  ClusterConfig c;
  c.listen = r.endpoint(node["listen"], "cluster.listen");
  if (const auto v = node["replace_arbiter_after_ms"])
    c.replace_arbiter_after_ms = r.integer(v, "cluster.replace_arbiter_after_ms", 300, 60000);
  if (const auto j = node["join"]) c.join = r.boolean(j, "cluster.join");
  const auto list = node["members"];
  if (!list.IsSequence() || list.size() == 0) r.fail(list, "cluster.members", "expected a list of members");
  std::set<std::string> ids;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = "cluster.members[" + std::to_string(i) + "]";
    const auto m = list[i];
    r.keys(m, at, {"id", "role", "address", "api", "witness", "standby"}, {"id", "role", "address"});
    ClusterMember cm;
    cm.id = r.text(m["id"], at + ".id");
    if (!valid_id(cm.id)) r.fail(m["id"], at + ".id", kIdRule);
    if (!ids.insert(cm.id).second) r.fail(m["id"], at + ".id", cm.id + " is listed twice");
    cm.role = r.one_of(m["role"], at + ".role", {"controller", "arbiter"}) == "controller"
                  ? consensus::MemberRole::Controller
                  : consensus::MemberRole::Arbiter;
    cm.address = r.endpoint(m["address"], at + ".address");
    if (m["api"]) cm.api = r.endpoint(m["api"], at + ".api");
    if (m["witness"]) {
      if (cm.role != consensus::MemberRole::Arbiter) r.fail(m["witness"], at + ".witness", "only arbiters have a witness port");
      cm.witness = r.endpoint(m["witness"], at + ".witness");
    }
    if (m["standby"]) cm.standby = r.boolean(m["standby"], at + ".standby");
    c.members.push_back(cm);
  }
  size_t controllers = 0;
  for (const auto& m : c.members) controllers += !m.standby && m.role == consensus::MemberRole::Controller;
  const ClusterMember* me = c.find(self);
  if (!me) r.fail(list, "cluster.members", "this member (" + self + ") is not listed");
  if (me->role != self_role)
    r.fail(list, "cluster.members", self + " is listed as " + consensus::to_string(me->role) + ", but this is a " +
                                       consensus::to_string(self_role));
  if (controllers == 0) r.fail(list, "cluster.members", "at least one voting controller is needed");
  if (c.voter_count() % 2 == 0)
    r.fail(list, "cluster.members",
           std::to_string(c.voter_count()) +
               " voters; use an odd number (two controllers and an arbiter) so that one loss keeps a quorum");
  return c;
}

Expected<ClusterConfig> parse_cluster_config(const YAML::Node& node, const std::string& self,
                                             consensus::MemberRole self_role) {
  const YamlReader r("cluster");
  try {
    return read_cluster_config(r, node, self, self_role);
  } catch (const YamlReader::Failure& f) {
    return Status::Error(f.message);
  }
}

}  // namespace poolha::member
