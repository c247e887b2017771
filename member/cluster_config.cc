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

namespace {

Expected<wire::Endpoint> endpoint(const YAML::Node& n, const std::string& where) {
  if (!n || !n.IsScalar()) return Expected<wire::Endpoint>::Error(where + ": expected host:port");
  auto ep = wire::parse_endpoint(n.as<std::string>());
  if (!ep.ok()) return Expected<wire::Endpoint>::Error(where + ": " + ep.error());
  return ep;
}

Status only_keys(const YAML::Node& n, const std::string& where, const std::set<std::string>& allowed) {
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    if (!allowed.count(key)) return Status::Error(where + "." + key + ": unknown key");
  }
  return Status::Ok();
}

}  // namespace

Expected<ClusterConfig> parse_cluster_config(const YAML::Node& node, const std::string& self,
                                             consensus::MemberRole self_role) {
  using E = Expected<ClusterConfig>;
  if (!node.IsMap()) return E::Error("cluster: expected a mapping with listen and members");
  if (auto st = only_keys(node, "cluster", {"listen", "members", "replace_arbiter_after_ms", "join"}); !st.ok()) return st;
  ClusterConfig c;
  auto listen = endpoint(node["listen"], "cluster.listen");
  if (!listen.ok()) return listen.status();
  c.listen = *listen;
  if (const auto r = node["replace_arbiter_after_ms"]) {
    int64_t v = -1;
    try {
      v = r.as<int64_t>();
    } catch (const YAML::Exception&) {
    }
    if (v < 300 || v > 60000) return E::Error("cluster.replace_arbiter_after_ms: an integer 300..60000");
    c.replace_arbiter_after_ms = v;
  }
  if (const auto j = node["join"]) {
    if (!j.IsScalar() || (j.as<std::string>() != "true" && j.as<std::string>() != "false"))
      return E::Error("cluster.join: true or false");
    c.join = j.as<std::string>() == "true";
  }
  const auto list = node["members"];
  if (!list || !list.IsSequence() || list.size() == 0) return E::Error("cluster.members: expected a list of members");
  std::set<std::string> ids;
  size_t voters = 0, controllers = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = "cluster.members[" + std::to_string(i) + "]";
    const auto m = list[i];
    if (!m.IsMap()) return E::Error(at + ": expected a mapping (id, role, address)");
    if (auto st = only_keys(m, at, {"id", "role", "address", "api", "witness", "standby"}); !st.ok()) return st;
    ClusterMember cm;
    if (!m["id"] || !m["id"].IsScalar()) return E::Error(at + ".id: required");
    cm.id = m["id"].as<std::string>();
    if (!valid_id(cm.id)) return E::Error(at + ".id: " + kIdRule);
    if (!ids.insert(cm.id).second) return E::Error(at + ".id: " + cm.id + " is listed twice");
    const std::string role = m["role"] && m["role"].IsScalar() ? m["role"].as<std::string>() : "";
    if (role == "controller") cm.role = consensus::MemberRole::Controller;
    else if (role == "arbiter") cm.role = consensus::MemberRole::Arbiter;
    else return E::Error(at + ".role: must be controller or arbiter");
    auto addr = endpoint(m["address"], at + ".address");
    if (!addr.ok()) return addr.status();
    cm.address = *addr;
    if (m["api"]) {
      auto api = endpoint(m["api"], at + ".api");
      if (!api.ok()) return api.status();
      cm.api = *api;
    }
    if (m["witness"]) {
      if (cm.role != consensus::MemberRole::Arbiter) return E::Error(at + ".witness: only arbiters have a witness port");
      auto w = endpoint(m["witness"], at + ".witness");
      if (!w.ok()) return w.status();
      cm.witness = *w;
    }
    if (m["standby"]) {
      if (!m["standby"].IsScalar() || (m["standby"].as<std::string>() != "true" && m["standby"].as<std::string>() != "false"))
        return E::Error(at + ".standby: true or false");
      cm.standby = m["standby"].as<std::string>() == "true";
    }
    if (!cm.standby) ++voters;
    if (!cm.standby && cm.role == consensus::MemberRole::Controller) ++controllers;
    c.members.push_back(cm);
  }
  const ClusterMember* me = c.find(self);
  if (!me) return E::Error("cluster.members: this member (" + self + ") is not listed");
  if (me->role != self_role)
    return E::Error("cluster.members: " + self + " is listed as " + consensus::to_string(me->role) + ", but this is a " +
                    consensus::to_string(self_role));
  if (controllers == 0) return E::Error("cluster.members: at least one voting controller is needed");
  if (voters % 2 == 0)
    return E::Error("cluster.members: " + std::to_string(voters) +
                    " voters; use an odd number (two controllers and an arbiter) so that one loss keeps a quorum");
  return c;
}

}  // namespace poolha::member
