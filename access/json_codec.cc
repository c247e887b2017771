#include "access/json_codec.h"

#include "common/json_strict.h"

namespace poolha::access {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Policy, min_length, min_classes, expiry_days, lockout_failures,
                                                lockout_minutes, idle_timeout_minutes, session_hours, source_failures,
                                                source_window_minutes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Account, name, display_name, roles, password_hash, password_set_ms,
                                                must_change, disabled, failures, locked_until_ms, created_ms,
                                                last_login_ms, last_login_from)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Session, id_hash, account, source, created_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AuditHead, seq, hash)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EnrolToken, node, expires_ms, used_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(State, accounts, policy, sessions, session_key, audit, enrol_tokens)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Actor, account, roles, source, reason, ticket, at_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NewAccount, name, display_name, roles, password_hash)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Bootstrap, accounts, session_key)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CreateAccount, account)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UpdateAccount, name, display_name, roles, disabled)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeleteAccount, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SetPassword, name, password_hash, must_change)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Unlock, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SetPolicy, policy)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoginSucceeded, name, session, source)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoginFailed, name, source, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EndSession, session, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RotateSessionKey, session_key)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MintEnrolToken, hash, node, expires_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SpendEnrolToken, hash, node)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Note, action, target, result, detail)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AuditRecord, seq, at_ms, account, roles, source, action, target, reason,
                                                ticket, result, detail, prev_hash, hash)

namespace {

// Per array field, the shape of its elements (objects), for the strict decoder.
const Json& element_shapes() {
  static const Json shapes = {{"accounts", Json(NewAccount{})}};
  return shapes;
}

template <class T>
Expected<Change> untagged(const Json& j, const std::string& type) {
  Json body = j;
  body.erase("type");
  auto v = json_strict::decode<T>(body, type, element_shapes());
  if (!v.ok()) return v.status();
  return Change(std::move(*v));
}

// A state's maps hold objects keyed by name: checked entry by entry.
template <class T>
Status check_map(const Json& j, const char* field) {
  if (!j.contains(field)) return Status::Ok();
  if (!j[field].is_object()) return Status::Error(std::string("access.") + field + ": expected an object");
  for (const auto& [k, v] : j[field].items()) {
    auto d = json_strict::decode<T>(v, std::string("access.") + field + "." + k);
    if (!d.ok()) return d.status();
  }
  return Status::Ok();
}

}  // namespace

Json to_json(const Change& c) {
  return std::visit(
      [&](const auto& v) {
        Json j = v;
        j["type"] = change_name(c);
        return j;
      },
      c);
}

bool is_change_type(const std::string& t) { return t.rfind("access.", 0) == 0; }

Expected<Change> change_from_json(const Json& j) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    return Expected<Change>::Error("change: expected an object with a string field 'type'");
  const std::string t = j["type"];
  if (t == "access.bootstrap") return untagged<Bootstrap>(j, t);
  if (t == "access.create_account") {
    if (j.contains("account")) {
      if (auto a = json_strict::decode<NewAccount>(j["account"], t + ".account"); !a.ok()) return a.status();
    }
    return untagged<CreateAccount>(j, t);
  }
  if (t == "access.update_account") return untagged<UpdateAccount>(j, t);
  if (t == "access.delete_account") return untagged<DeleteAccount>(j, t);
  if (t == "access.set_password") return untagged<SetPassword>(j, t);
  if (t == "access.unlock") return untagged<Unlock>(j, t);
  if (t == "access.set_policy") {
    if (j.contains("policy")) {
      if (auto p = policy_from_json(j["policy"]); !p.ok()) return p.status();
    }
    return untagged<SetPolicy>(j, t);
  }
  if (t == "access.login") return untagged<LoginSucceeded>(j, t);
  if (t == "access.login_failed") return untagged<LoginFailed>(j, t);
  if (t == "access.end_session") return untagged<EndSession>(j, t);
  if (t == "access.rotate_session_key") return untagged<RotateSessionKey>(j, t);
  if (t == "access.mint_enrol_token") return untagged<MintEnrolToken>(j, t);
  if (t == "access.spend_enrol_token") return untagged<SpendEnrolToken>(j, t);
  if (t == "access.note") return untagged<Note>(j, t);
  return Expected<Change>::Error("change: unknown type '" + t + "'");
}

Json to_json(const Actor& a) { return Json(a); }
Expected<Actor> actor_from_json(const Json& j) { return json_strict::decode<Actor>(j, "by"); }
Json to_json(const Policy& p) { return Json(p); }
Expected<Policy> policy_from_json(const Json& j) { return json_strict::decode<Policy>(j, "policy"); }
Json to_json(const AuditRecord& r) { return Json(r); }
Expected<AuditRecord> audit_record_from_json(const Json& j) { return json_strict::decode<AuditRecord>(j, "record"); }
Json to_json(const State& s) { return Json(s); }

Expected<State> state_from_json(const Json& j) {
  if (auto st = json_strict::check_number_ranges(j, "access"); !st.ok()) return st;
  if (!j.is_object()) return Expected<State>::Error("access: expected an object");
  for (const auto& [k, v] : j.items())
    if (!Json(State{}).contains(k)) return Expected<State>::Error("access: unknown field '" + k + "'");
  if (auto st = check_map<Account>(j, "accounts"); !st.ok()) return st;
  if (auto st = check_map<Session>(j, "sessions"); !st.ok()) return st;
  if (auto st = check_map<EnrolToken>(j, "enrol_tokens"); !st.ok()) return st;
  try {
    return j.get<State>();
  } catch (const std::exception& e) {
    return Expected<State>::Error(std::string("access: ") + e.what());
  }
}

}  // namespace poolha::access
