#include "rules/json_codec.h"

#include "common/json_strict.h"
#include "common/json_text.h"
#include "rules/rule_templates.h"

namespace poolha::rules {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Settings, heartbeat_interval_ms, suspect_after_ms, isolation_timeout_ms,
                                                drift_margin_ms, conflict_retry_ms, arbiter_recheck_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PoolSpec, id, min_takeover_ratio, frozen)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NodeSpec, id, pool, os, labels, priority, capacity)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VipSpec, cidr, interface)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MonitorSpec, name, kind, params, interval_ms, timeout_ms, threshold,
                                                restarts, restart_script)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RuleSpec, id, pool, os, labels, vips, acquire_script, release_script,
                                                script_timeout_ms, home, fixed_target, local_takeover, failback,
                                                failback_delay_ms, failback_window_start_min,
                                                failback_window_end_min, on_arbiter_down, group, group_order,
                                                priority, anti_affinity, monitors, from_template)
// The flat form {"id", "description", ...fields} (model.h). Decoding here only
// reshapes; template_from_json (rule_templates.h) is the checking decoder.
void to_json(Json& j, const RuleTemplate& t) {
  j = Json::parse(t.fields, nullptr, false);
  if (!j.is_object()) j = Json::object();
  j["id"] = t.id;
  if (!t.description.empty()) j["description"] = t.description;
}
void from_json(const Json& j, RuleTemplate& t) {
  Json fields = j;
  t.id = j.value("id", std::string());
  t.description = j.value("description", std::string());
  fields.erase("id");
  fields.erase("description");
  t.fields = json_text(fields);
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NodeState, spec, liveness, last_heard_ms, up_since_ms, last_consult_ms,
                                                maintenance, healthy, failing_rules, subnets, held_vips,
                                                last_result_action)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RuleState, spec, primary, standby, epoch, phase, frozen,
                                                blocked_since_ms, hold_off_until_ms, last_error)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Step, kind, rule, node, vips, run_script)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Transition, id, rules, from, target, reason, release_from, forced,
                                                requested_target, tried, steps, next, waiting_action, not_before_ms,
                                                release_failed, acquired)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PoolState, spec, ratio_alert)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ClusterState, settings, term, next_action_id, next_transition_id, pools,
                                                nodes, rules, transitions, arbiter_reachable,
                                                last_placement_retry_ms, clock_ms, revoked, templates)

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NodeReachable, node, now, subnets, held_vips, actions_done)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NodeUnreachable, node, now, last_heard_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ArbiterView, node, now, arbiter_reachable, sees_node, last_heard_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MonitorReport, node, rule, healthy, detail, now)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ActionResult, action_id, node, outcome, vips_removed, detail, now)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Tick, now, minute_of_day)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UpsertPool, spec)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeletePool, pool)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UpsertNode, spec)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RemoveNode, node)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SetMaintenance, node, on, now)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UpsertRule, spec, now)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeleteRule, rule, now)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Switchover, rule, target, forced, now)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Failback, rule, now)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Freeze, rule, pool, on)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Resume, rule, now)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SetSettings, settings)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SetTerm, term)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RevokeCertificate, serial, note)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UpsertTemplate, spec)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeleteTemplate, template_id)

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Acquire, action_id, term, epoch, rule, node, old_node, vips, script, script_timeout_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Release, action_id, term, epoch, rule, node, new_node, vips, script, script_timeout_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AssignRole, node, rule, role, epoch)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ConsultArbiter, node)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Alert, severity, code, rule, node, message)

namespace {

using json_strict::check_number_ranges;

template <class T>
Expected<T> strict_from_json(const Json& in, const std::string& path, const Json& element_shape = Json()) {
  return json_strict::decode<T>(in, path, element_shape);
}

template <class T>
Json tagged(const char* type, const T& v) {
  Json j = v;
  j["type"] = type;
  return j;
}

template <class T>
Expected<Event> untagged(const Json& j, const std::string& path, const Json& element_shape = Json()) {
  Json body = j;
  body.erase("type");
  auto v = strict_from_json<T>(body, path, element_shape);
  if (!v.ok()) return v.status();
  return Event(std::move(*v));
}

const Json& rule_element_shapes() {
  static const Json shapes = {{"vips", Json(VipSpec{})}, {"monitors", Json(MonitorSpec{})}};
  return shapes;
}

}  // namespace

Json to_json(const Event& e) {
  return std::visit([&](const auto& v) { return tagged(event_name(e), v); }, e);
}

Expected<Event> event_from_json(const Json& j) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    return Expected<Event>::Error("event: expected an object with a string field 'type'");
  const std::string t = j["type"];
  if (t == "node_reachable") return untagged<NodeReachable>(j, t);
  if (t == "node_unreachable") return untagged<NodeUnreachable>(j, t);
  if (t == "arbiter_view") return untagged<ArbiterView>(j, t);
  if (t == "monitor_report") return untagged<MonitorReport>(j, t);
  if (t == "action_result") return untagged<ActionResult>(j, t);
  if (t == "tick") return untagged<Tick>(j, t);
  if (t == "upsert_pool") return untagged<UpsertPool>(j, t);
  if (t == "delete_pool") return untagged<DeletePool>(j, t);
  if (t == "upsert_node") return untagged<UpsertNode>(j, t);
  if (t == "remove_node") return untagged<RemoveNode>(j, t);
  if (t == "set_maintenance") return untagged<SetMaintenance>(j, t);
  if (t == "upsert_rule") {
    if (j.contains("spec")) {
      auto spec = rule_from_json(j["spec"]);
      if (!spec.ok()) return spec.status();
    }
    return untagged<UpsertRule>(j, t);
  }
  if (t == "delete_rule") return untagged<DeleteRule>(j, t);
  if (t == "switchover") return untagged<Switchover>(j, t);
  if (t == "failback") return untagged<Failback>(j, t);
  if (t == "freeze") return untagged<Freeze>(j, t);
  if (t == "resume") return untagged<Resume>(j, t);
  if (t == "set_settings") return untagged<SetSettings>(j, t);
  if (t == "set_term") return untagged<SetTerm>(j, t);
  if (t == "revoke_certificate") return untagged<RevokeCertificate>(j, t);
  if (t == "upsert_template") {
    // The template's own decoder: its fields are free-form rule fields (checked by
    // the engine with validate_template), not a fixed shape.
    for (const auto& [k, v] : j.items())
      if (k != "type" && k != "spec") return Expected<Event>::Error(t + ": unknown field '" + k + "'");
    if (!j.contains("spec")) return Expected<Event>::Error(t + ": spec is required");
    auto spec = template_from_json(j["spec"]);
    if (!spec.ok()) return spec.status();
    return Event(UpsertTemplate{*spec});
  }
  if (t == "delete_template") return untagged<DeleteTemplate>(j, t);
  return Expected<Event>::Error("event: unknown type '" + t + "'");
}

Json to_json(const Action& a) {
  return std::visit(
      [](const auto& v) -> Json {
        using T = std::decay_t<decltype(v)>;
        const char* type = std::is_same_v<T, Acquire>         ? "acquire"
                           : std::is_same_v<T, Release>       ? "release"
                           : std::is_same_v<T, AssignRole>    ? "assign_role"
                           : std::is_same_v<T, ConsultArbiter> ? "consult_arbiter"
                                                               : "alert";
        return tagged(type, v);
      },
      a);
}

Json to_json(const ClusterState& s) { return Json(s); }
Json to_json(const NodeState& v) { return Json(v); }
Json to_json(const RuleState& v) { return Json(v); }
Json to_json(const PoolState& v) { return Json(v); }
Json to_json(const Transition& v) { return Json(v); }
Json to_json(const RuleTemplate& v) { return Json(v); }
Expected<ClusterState> state_from_json(const Json& j) {
  if (auto st = check_number_ranges(j, "state"); !st.ok()) return st;
  try {
    return j.get<ClusterState>();
  } catch (const std::exception& e) {
    return Expected<ClusterState>::Error(std::string("state: ") + e.what());
  }
}

Expected<RuleSpec> rule_from_json(const Json& j) { return strict_from_json<RuleSpec>(j, "rule", rule_element_shapes()); }
Expected<NodeSpec> node_from_json(const Json& j) { return strict_from_json<NodeSpec>(j, "node"); }
Expected<PoolSpec> pool_from_json(const Json& j) { return strict_from_json<PoolSpec>(j, "pool"); }
Expected<Settings> settings_from_json(const Json& j) { return strict_from_json<Settings>(j, "settings"); }
Json to_json(const RuleSpec& v) { return Json(v); }
Json to_json(const NodeSpec& v) { return Json(v); }
Json to_json(const PoolSpec& v) { return Json(v); }
Json to_json(const Settings& v) { return Json(v); }

}  // namespace poolha::rules
