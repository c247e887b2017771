#include "controller/api_routes.h"

#include <map>

#include "common/json_text.h"
#include "common/utf8.h"
#include "controller/request_parts.h"
#include "rules/json_codec.h"
#include "rules/placement.h"
#include "rules/problem_field.h"
#include "rules/rule_templates.h"
#include "rules/validation.h"
#include "wire/pki.h"

namespace poolha::controller {

namespace {

// Routes built without the daemon's consensus member (tests, fuzzers) cannot say
// anything about the control plane.
constexpr const char* kNoMember = "no control-plane member is wired to these routes";

using Json = nlohmann::json;

ApiResponse error(int status, std::string message) { return api_error(status, std::move(message)); }

// Reads an optional boolean field of a small command body.
bool flag(const Json& body, const char* key, bool dflt) {
  return body.contains(key) && body[key].is_boolean() ? body[key].get<bool>() : dflt;
}

// The JSON shape of each kind of spec, for naming the field a message is about.
const Json& spec_shape(std::string_view kind) {
  static const Json rule = rules::to_json(rules::RuleSpec{});
  static const Json node = rules::to_json(rules::NodeSpec{});
  static const Json pool = rules::to_json(rules::PoolSpec{});
  static const Json templ = [] {
    Json t = rule;
    t["description"] = "";
    return t;
  }();
  return kind == "rule" ? rule : kind == "node" ? node : kind == "pool" ? pool : templ;
}

// A refused spec: the message, and the field it is about when it names one (the
// console shows it there).
ApiResponse spec_error(int status, const std::string& message, std::string_view kind) {
  ApiResponse r = error(status, message);
  if (auto f = rules::problem_field(message, kind, spec_shape(kind)); !f.empty()) r.body["field"] = f;
  return r;
}

// A spec PUT to /v1/<kind>s/<id>: its id may be left out, but must not differ.
template <class Spec>
Expected<Spec> spec_for_path(Expected<Spec> spec, const char* kind, const std::string& id) {
  if (!spec.ok()) return spec;
  if (spec->id.empty()) spec->id = id;
  if (spec->id != id)
    return Expected<Spec>::Error(std::string(kind) + ".id '" + spec->id + "' differs from the path's '" + id + "'");
  return spec;
}

}  // namespace

void ApiRoutes::handle(const ApiRequest& r, Reply reply) {
  const auto qpos = r.target.find('?');
  const std::string path = r.target.substr(0, qpos);
  const RoutePermission* rule = find_route(r.method, path);
  if (!rule) return reply(error(404, "no route for " + r.method + " " + text::log_safe(path, 200) + " (see docs/api.md)"));
  if (redirect_ && !rule->any_member) {
    if (auto url = redirect_(r.target)) {
      ApiResponse resp = error(307, "this controller is standby; the active controller answers at " + *url);
      resp.location = *url;
      return reply(std::move(resp));
    }
  }
  const Caller caller = auth_.identify(r);
  access::Actor by{caller.account, access::role_names(caller.roles), r.source, r.reason, r.ticket, r.wall_ms};
  if (auto refused = authorize(*rule, caller, r, by)) return reply(std::move(*refused));
  Json body = Json::object();
  if (!r.body.empty()) {
    auto parsed = parse_json_bounded(r.body);
    if (!parsed.ok()) return reply(error(400, "body: " + parsed.error()));
    body = std::move(*parsed);
  }
  const auto p = split_path(path);
  if (path == "/v1/stream") {
    ApiResponse stream{200, nullptr};
    stream.stream = true;
    stream.stream_session = caller.session;
    return reply(std::move(stream));
  }
  if (auto answered = access_.route(r, p, body, caller, by, reply)) {
    if (!answered->deferred) reply(std::move(*answered));
    return;
  }
  ApiResponse resp = route(r.method, r.target, body, by, reply);
  if (!resp.deferred) reply(std::move(resp));
}

std::optional<ApiResponse> ApiRoutes::authorize(const RoutePermission& rule, const Caller& caller, const ApiRequest& r,
                                                const access::Actor& by) {
  if (rule.gate == Gate::Public) return std::nullopt;
  if (caller.kind == Caller::Kind::Anonymous)
    return api_error(401, caller.refusal.empty() ? "sign in first (POST /v1/login)" : caller.refusal, "unauthenticated");
  const bool bootstrapped = core_.access().bootstrapped();
  std::string why, code = "forbidden";
  if (!auth_.csrf_ok(caller, r)) {
    why = "the request lacks this session's CSRF token (header X-CSRF-Token)";
    code = "csrf";
  } else if (rule.gate == Gate::Bootstrap) {
    if (bootstrapped) return api_error(409, "accounts exist already: bootstrap is for the first start only");
    if (caller.kind != Caller::Kind::Certificate) why = "bootstrap needs an operator certificate";
  } else if (!bootstrapped && caller.kind == Caller::Kind::Certificate) {
    return std::nullopt;  // before the first accounts exist, a certificate may do everything (docs/webui.md)
  } else if (caller.password_change_required && rule.permission != access::Permission::Self) {
    return api_error(403, "choose a new password first (POST /v1/password)", "password_change_required");
  } else if (!access::may(caller.roles, rule.permission)) {
    why = caller.roles.empty()
              ? "'" + caller.account + "' has no account with roles here; the security administrator creates one"
              : "the roles " + access::roles_text(caller.roles) + " do not include the '" +
                    access::to_string(rule.permission) + "' permission " + r.method + " " +
                    r.target.substr(0, r.target.find('?')) + " needs";
  }
  if (why.empty()) return std::nullopt;
  // Into the audit trail (at most one record a second per account; the next says how
  // many it stands for). Only the acting controller can write it.
  if (denial_records_.size() > 4096) denial_records_.clear();
  auto& throttle = denial_records_.try_emplace(caller.account, 1000).first->second;
  if (auto suppressed = throttle.allow(r.local_ms); suppressed && core_.acting()) {
    std::string detail = r.method + " " + r.target.substr(0, r.target.find('?'));
    if (*suppressed) detail += " (and " + std::to_string(*suppressed) + " earlier denials not recorded one by one)";
    core_.operator_command(LogEntry(access::Change(access::Note{"access.denied", detail, "denied", why}), by),
                           [](Status) {});
  }
  return api_error(403, why, code);
}

ApiResponse ApiRoutes::route(const std::string& method, const std::string& target, const Json& body,
                             const access::Actor& by, const Reply& reply) {
  const auto qpos = target.find('?');
  const std::string path = target.substr(0, qpos);
  const std::string query = qpos == std::string::npos ? "" : target.substr(qpos + 1);
  const auto p = split_path(path);
  if (p.size() < 2 || p[0] != "v1") return error(404, "unknown path " + path + " (see docs/api.md)");
  const TimeMs now = now_();
  const std::string& what = p[1];

  if (method == "GET" && p.size() == 2 && what == "status") return status_view();
  if (method == "GET" && p.size() == 2 && what == "cluster")
    return cluster_view_ ? ApiResponse{200, cluster_view_()} : error(503, kNoMember);
  if (method == "POST" && p.size() == 3 && what == "cluster") {
    if (!cluster_ops_) return error(503, kNoMember);
    return cluster_ops_(p[2], body, by);
  }
  if (method == "GET" && p.size() == 2 && what == "events") return events(query);
  if (method == "GET" && p.size() == 2 && what == "defaults") {
    // What a field left out of a spec becomes (the console's create forms start here).
    return {200, Json{{"rule", spec_shape("rule")}, {"node", spec_shape("node")}, {"pool", spec_shape("pool")}}};
  }
  if (method == "GET" && p.size() == 2 && what == "templates") {
    std::map<std::string, Json> used;  // template -> the rules made from it
    for (const auto& [rid, r] : core_.state().rules)
      if (!r.spec.from_template.empty()) used[r.spec.from_template].push_back(rid);
    Json list = Json::array();
    for (const auto& [id, t] : core_.state().templates) {
      Json j = t;
      j["used_by"] = used.count(id) ? used.at(id) : Json::array();
      list.push_back(j);
    }
    return {200, Json{{"templates", list}}};
  }
  if (method == "GET" && p.size() == 2 && what == "settings") return {200, rules::to_json(core_.state().settings)};
  if (method == "PUT" && p.size() == 2 && what == "settings") {
    auto s = rules::settings_from_json(body);
    if (!s.ok()) return error(400, s.error());
    return command(LogEntry(rules::SetSettings{*s}, by), reply);
  }
  if (method == "POST" && p.size() == 2 && what == "apply") return apply(body, by, reply);
  if (method == "POST" && p.size() == 2 && what == "tokens") return mint_token(body, by, reply);
  if (method == "GET" && p.size() == 2 && what == "certificates") {
    Json revoked = Json::array();
    for (const auto& [serial, note] : core_.state().revoked) revoked.push_back({{"serial", serial}, {"note", note}});
    return {200, Json{{"revoked", revoked}}};
  }
  if (method == "POST" && p.size() == 3 && what == "certificates" && p[2] == "revoke") {
    if (auto st = only_fields(body, {"serial", "note"}); !st.ok()) return error(400, st.error());
    if (!body.contains("serial") || !body["serial"].is_string())
      return error(400, "serial: the certificate's serial number (hex, as poolhactl cert show prints it) is required");
    auto serial = pki::canonical_serial(body["serial"].get<std::string>());
    if (!serial.ok()) return error(400, serial.error());
    std::string note;
    if (body.contains("note")) {
      if (!body["note"].is_string()) return error(400, "note: expected a string");
      note = body["note"].get<std::string>();
    }
    return command(LogEntry(rules::RevokeCertificate{*serial, note}, by), reply);
  }
  if (p.size() < 3) return error(404, "unknown path " + path);
  const std::string id = p[2];

  if (what == "templates") {
    if (method == "PUT" && p.size() == 3) {
      Json named = body;
      if (named.is_object()) {
        if (!named.contains("id")) named["id"] = id;
        named.erase("used_by");  // GET's read-only extra: a template read can be sent back as is
      }
      auto spec = spec_for_path(rules::template_from_json(named), "template", id);
      if (!spec.ok()) return spec_error(400, spec.error(), "template");
      return command(LogEntry(rules::UpsertTemplate{*spec}, by), reply, "template");
    }
    if (method == "DELETE" && p.size() == 3) return command(LogEntry(rules::DeleteTemplate{id}, by), reply);
  }
  if (what == "groups" && method == "POST" && p.size() == 4 && p[3] == "switchover") {
    // A group switches as one (its rules live on one node): the switchover of its
    // first rule moves them all; the engine checks it like any other. A group is a
    // group of one pool (rules::unit_of): a name used in two pools needs the pool.
    if (auto st = only_fields(body, {"pool", "target", "forced"}); !st.ok()) return error(400, st.error());
    auto pool = string_field(body, "pool", 63, "");
    if (!pool.ok()) return error(400, pool.error());
    auto to = string_field(body, "target", 63, "");
    if (!to.ok()) return error(400, to.error());
    std::map<std::string, rules::RuleId> member_in;  // pool -> one rule of the group there
    for (const auto& [rid, r] : core_.state().rules)
      if (r.spec.group == id && (pool->empty() || r.spec.pool == *pool)) member_in.emplace(r.spec.pool, rid);
    if (member_in.empty())
      return error(404, "no rule is in group " + text::log_safe(id, 64) + (pool->empty() ? "" : " of pool " + *pool));
    if (member_in.size() > 1) {
      std::string list;
      for (const auto& [p1, _] : member_in) list += (list.empty() ? "" : ", ") + p1;
      return error(409, "group " + id + " exists in pools " + list + ": name the pool (\"pool\")");
    }
    const rules::RuleId lead = rules::unit_of(core_.state(), member_in.begin()->second).front();
    return command(LogEntry(rules::Switchover{lead, *to, flag(body, "forced", false), now}, by), reply);
  }
  if (what == "pools") {
    if (method == "PUT" && p.size() == 3) {
      auto spec = spec_for_path(rules::pool_from_json(body), "pool", id);
      if (!spec.ok()) return spec_error(400, spec.error(), "pool");
      return command(LogEntry(rules::UpsertPool{*spec}, by), reply, "pool");
    }
    if (method == "DELETE" && p.size() == 3) return command(LogEntry(rules::DeletePool{id}, by), reply);
    if (method == "POST" && p.size() == 4 && p[3] == "freeze") {
      if (auto st = only_fields(body, {"on"}); !st.ok()) return error(400, st.error());
      return command(LogEntry(rules::Freeze{"", id, flag(body, "on", true)}, by), reply);
    }
  }
  if (what == "nodes") {
    if (method == "PUT" && p.size() == 3) {
      auto spec = spec_for_path(rules::node_from_json(body), "node", id);
      if (!spec.ok()) return spec_error(400, spec.error(), "node");
      return command(LogEntry(rules::UpsertNode{*spec}, by), reply, "node");
    }
    if (method == "DELETE" && p.size() == 3) return command(LogEntry(rules::RemoveNode{id}, by), reply);
    if (method == "POST" && p.size() == 4 && p[3] == "maintenance") {
      if (auto st = only_fields(body, {"on"}); !st.ok()) return error(400, st.error());
      return command(LogEntry(rules::SetMaintenance{id, flag(body, "on", true), now}, by), reply);
    }
  }
  if (what == "rules") {
    if (method == "PUT" && p.size() == 3) {
      auto spec = spec_for_path(rules::rule_from_json(body), "rule", id);
      if (!spec.ok()) return spec_error(400, spec.error(), "rule");
      // The same check as `apply`: a malformed rule is the request's fault (400).
      if (auto why = rules::validate_rule(*spec); !why.empty()) return spec_error(400, why, "rule");
      return command(LogEntry(rules::UpsertRule{*spec, now}, by), reply, "rule");
    }
    if (method == "DELETE" && p.size() == 3) return command(LogEntry(rules::DeleteRule{id, now}, by), reply);
    if (method == "POST" && p.size() == 4) {
      const std::string& verb = p[3];
      if (verb == "switchover") {
        if (auto st = only_fields(body, {"target", "forced", "override"}); !st.ok()) return error(400, st.error());
        std::string to;
        if (body.contains("target")) {
          if (!body["target"].is_string()) return error(400, "target: expected a node id string");
          to = body["target"].get<std::string>();
        }
        if (flag(body, "override", false)) {
          if (!flag(body, "forced", false) || to.empty())
            return error(400, "override: only for a forced switch to a named target (poolhactl force RULE --to NODE --override)");
          if (!override_) return error(503, kNoMember);
          return override_(id, to, by);
        }
        return command(LogEntry(rules::Switchover{id, to, flag(body, "forced", false), now}, by), reply);
      }
      if (verb == "failback") return command(LogEntry(rules::Failback{id, now}, by), reply);
      if (verb == "resume") return command(LogEntry(rules::Resume{id, now}, by), reply);
      if (verb == "freeze") {
        if (auto st = only_fields(body, {"on"}); !st.ok()) return error(400, st.error());
        return command(LogEntry(rules::Freeze{id, "", flag(body, "on", true)}, by), reply);
      }
    }
  }
  return error(404, "no route for " + method + " " + path + " (see docs/api.md)");
}

ApiResponse ApiRoutes::command(LogEntry e, const Reply& reply, std::string_view spec_kind) {
  core_.operator_command(std::move(e), [this, reply, kind = std::string(spec_kind)](Status st) {
    if (!st.ok()) return reply(kind.empty() ? error(409, st.error()) : spec_error(409, st.error(), kind));
    reply({200, Json{{"ok", true}, {"log_index", core_.log_index()}}});
  });
  return {0, nullptr, "", true};
}

// A token goes into the replicated access state (only its hash), so it still enrols
// after a controller failover; the caller sees it once, in this answer.
ApiResponse ApiRoutes::mint_token(const Json& body, const access::Actor& by, const Reply& reply) {
  if (!enrolment_) return error(409, "enrolment is not enabled on this controller (set ca_key and listen_enrol)");
  if (auto st = only_fields(body, {"node", "ttl_s"}); !st.ok()) return error(400, st.error());
  if (!body.contains("node") || !body["node"].is_string() || !rules::valid_id(body["node"].get<std::string>()))
    return error(400, "node: a node id (1-63 letters, digits, '.', '_' or '-') is required");
  int64_t ttl = 3600;
  if (body.contains("ttl_s")) {
    if (!body["ttl_s"].is_number_integer() || body["ttl_s"].get<int64_t>() < 60 || body["ttl_s"].get<int64_t>() > 7 * 86400)
      return error(400, "ttl_s: must be an integer 60..604800");
    ttl = body["ttl_s"].get<int64_t>();
  }
  const std::string node = body["node"].get<std::string>();
  const std::string token = pki::new_token();
  LogEntry e(access::MintEnrolToken{pki::hash_token(token), node, by.at_ms + ttl * 1000}, by);
  core_.operator_command(std::move(e), [reply, token, node, ttl](Status st) {
    if (!st.ok()) return reply(error(409, st.error()));
    reply({200, Json{{"token", token}, {"node", node}, {"ttl_s", ttl}}});
  });
  return {0, nullptr, "", true};
}

ApiResponse ApiRoutes::apply(const Json& raw, const access::Actor& by, const Reply& reply) {
  if (auto st = only_fields(raw, {"settings", "pools", "nodes", "templates", "rules"}); !st.ok()) return error(400, st.error());
  auto expanded = rules::expand_rule_templates(raw, core_.state().templates);
  if (!expanded.ok()) return error(400, expanded.error());
  const Json& body = *expanded;
  // Decode everything first: a file with a bad entry changes nothing.
  auto events = std::make_shared<std::vector<rules::Event>>();
  if (body.contains("settings")) {
    auto s = rules::settings_from_json(body["settings"]);
    if (!s.ok()) return error(400, s.error());
    events->push_back(rules::SetSettings{*s});
  }
  const TimeMs now = now_();
  for (const char* section : {"pools", "nodes", "templates", "rules"}) {
    if (!body.contains(section)) continue;
    if (std::string(section) == "templates") {  // checked by the expansion above
      for (const auto& item : body["templates"]) events->push_back(rules::UpsertTemplate{*rules::template_from_json(item)});
      continue;
    }
    if (!body[section].is_array()) return error(400, std::string(section) + ": expected a list");
    for (size_t i = 0; i < body[section].size(); ++i) {
      const Json& item = body[section][i];
      const std::string at = std::string(section) + "[" + std::to_string(i) + "]";
      if (std::string(section) == "pools") {
        auto v = rules::pool_from_json(item);
        if (!v.ok()) return error(400, at + ": " + v.error());
        events->push_back(rules::UpsertPool{*v});
      } else if (std::string(section) == "nodes") {
        auto v = rules::node_from_json(item);
        if (!v.ok()) return error(400, at + ": " + v.error());
        events->push_back(rules::UpsertNode{*v});
      } else {
        auto v = rules::rule_from_json(item);
        if (!v.ok()) return error(400, at + ": " + v.error());
        if (auto why = rules::validate_rule(*v); !why.empty()) return error(400, at + ": " + why);
        events->push_back(rules::UpsertRule{*v, now});
      }
    }
  }
  apply_from(events, 0, by, reply);
  return {0, nullptr, "", true};
}

// Each item is its own command (as if sent one by one, each committed before the
// next); the first refusal stops the rest and says which item it was.
void ApiRoutes::apply_from(std::shared_ptr<std::vector<rules::Event>> events, size_t i, const access::Actor& by,
                           Reply reply) {
  if (i == events->size()) return reply({200, Json{{"applied", i}}});
  const rules::Event e = (*events)[i];
  core_.operator_command(LogEntry(e, by), [this, events, i, by, reply, e](Status st) {
    if (!st.ok())
      return reply({409, Json{{"error", std::string(rules::event_name(e)) + " #" + std::to_string(i + 1) + ": " + st.error()},
                              {"applied", i}}});
    apply_from(events, i + 1, by, reply);
  });
}

Json ApiRoutes::agents_json(bool with_clock) const {
  Json agents = Json::object();
  const TimeMs now = now_();
  for (const auto& [node, a] : core_.agents()) {
    agents[node] = {{"connected", a.connected}, {"hostname", a.hostname}, {"version", a.version}, {"os", a.os},
                    {"vip_subnets", a.vip_subnets}, {"vip_interfaces", a.vip_interfaces},
                    {"refused_reports", a.refused_reports}, {"last_refusal", a.last_refusal}};
    if (with_clock) agents[node]["last_heard_ms_ago"] = now - a.last_heard_ms;
  }
  return agents;
}

Json ApiRoutes::top_json(bool with_clock) const {
  const rules::ClusterState& s = core_.state();
  // Nodes some other member reports it does not hear (member_sightings.h).
  Json unheard = Json::object();
  for (const auto& [node, n] : s.nodes)
    if (auto by = core_.sightings().unheard_by(node); !by.empty()) unheard[node] = by;
  // Each pool's room for takeovers, as the engine's takeover-ratio alert counts it
  // (computed once per log index: the live feed asks every tick).
  if (capacity_index_ != core_.log_index() || capacity_.is_null()) {
    capacity_ = Json::object();
    for (const auto& [id, c] : rules::pool_capacities(s)) {
      const auto& p = s.pools.at(id);
      capacity_[id] = {{"spare", c.spare}, {"services", c.services}, {"ratio", c.ratio},
                       {"min_ratio", p.spec.min_takeover_ratio}, {"low", p.ratio_alert}};
    }
    capacity_index_ = core_.log_index();
  }
  // The state's scalars; its maps (rules, nodes, pools, transitions) are sent apart.
  rules::ClusterState scalars;
  scalars.settings = s.settings;
  scalars.term = s.term;
  scalars.next_action_id = s.next_action_id;
  scalars.next_transition_id = s.next_transition_id;
  scalars.arbiter_reachable = s.arbiter_reachable;
  scalars.last_placement_retry_ms = s.last_placement_retry_ms;
  scalars.clock_ms = s.clock_ms;
  scalars.revoked = s.revoked;
  Json state = rules::to_json(scalars);
  for (const char* k : {"rules", "nodes", "pools", "transitions", "templates"}) state.erase(k);
  Json out{{"controller", name_}, {"active", core_.acting()}, {"unheard_by", unheard}, {"capacity", capacity_},
           {"state", state}};
  if (cluster_view_) {
    out["cluster"] = cluster_view_();
    if (!with_clock) out["cluster"].erase("ms_since_quorum_contact");  // a clock, not a change
  }
  return out;
}

ApiResponse ApiRoutes::status_view() const {
  Json out = top_json(true);
  out["log_index"] = core_.log_index();
  out["state"] = rules::to_json(core_.state());
  out["agents"] = agents_json(true);
  return {200, out};
}

ApiResponse ApiRoutes::events(const std::string& query) const {
  HistoryQuery q;
  q.rule = query_param(query, "rule");
  q.node = query_param(query, "node");
  const std::string limit = query_param(query, "limit");
  if (!limit.empty()) {
    if (limit.size() > 5 || limit.find_first_not_of("0123456789") != std::string::npos)
      return error(400, "limit: expected an integer 1..10000");
    q.limit = std::stoi(limit);
  }
  auto rows = history_.query(q);
  if (!rows.ok()) return error(500, rows.error());
  Json out = Json::array();
  for (const auto& r : *rows) out.push_back(to_json(r));
  return {200, Json{{"events", out}}};
}

}  // namespace poolha::controller
