// Accounts, policy and sessions (the security administrator's), and the audit trail
// (the audit administrator's).
#include "access/json_codec.h"
#include "common/ids.h"
#include "common/utf8.h"
#include "controller/access_routes.h"
#include "controller/request_parts.h"

namespace poolha::controller {

namespace {

using Json = nlohmann::json;

Json account_view(const access::Account& a, const access::AccessControl& ac, int64_t now) {
  size_t sessions = 0;
  for (const auto& [h, s] : ac.state().sessions) sessions += s.account == a.name ? 1 : 0;
  return {{"name", a.name},
          {"display_name", a.display_name},
          {"roles", access::role_names(a.roles)},
          {"disabled", a.disabled},
          {"must_change", a.must_change},
          {"has_password", !a.password_hash.empty()},
          {"password_set_ms", a.password_set_ms},
          {"password_expired", ac.password_expired(a, now)},
          {"locked_until_ms", ac.locked(a, now) ? a.locked_until_ms : 0},
          {"failures", a.failures},
          {"created_ms", a.created_ms},
          {"last_login_ms", a.last_login_ms},
          {"last_login_from", a.last_login_from},
          {"sessions", sessions}};
}

Expected<std::vector<std::string>> role_list(const Json& body) {
  if (!body.contains("roles") || !body["roles"].is_array())
    return Expected<std::vector<std::string>>::Error("roles: a list of role names");
  std::vector<std::string> roles;
  for (const auto& r : body["roles"]) {
    if (!r.is_string()) return Expected<std::vector<std::string>>::Error("roles: a list of role names");
    roles.push_back(r.get<std::string>());
  }
  if (auto parsed = access::parse_roles(roles); !parsed.ok()) return parsed.status();
  return roles;
}

}  // namespace

ApiResponse AccessRoutes::users(const ApiRequest& r, const std::vector<std::string>& p, const Json& body,
                                const access::Actor& by, const Reply& reply) {
  const auto& ac = core_.access();
  auto done = [reply](Status st) { reply(st.ok() ? ApiResponse{200, Json{{"ok", true}}} : api_error(409, st.error())); };
  if (p[1] == "policy") {
    if (r.method == "GET") return {200, access::to_json(ac.state().policy)};
    auto policy = access::policy_from_json(body);
    if (!policy.ok()) return api_error(400, policy.error());
    if (auto st = access::validate(*policy); !st.ok()) return api_error(400, st.error());
    change(access::SetPolicy{*policy}, by, done);
    return deferred();
  }
  if (p.size() == 2 && r.method == "GET") {
    Json out = Json::array();
    for (const auto& [n, a] : ac.state().accounts) out.push_back(account_view(a, ac, r.wall_ms));
    return {200, Json{{"accounts", out}}};
  }
  if (p.size() == 2 && r.method == "POST") {
    if (auto st = only_fields(body, {"name", "display_name", "roles", "password"}); !st.ok()) return api_error(400, st.error());
    auto name = string_field(body, "name", 64);
    auto display = string_field(body, "display_name", 256, "");
    auto roles = role_list(body);
    if (!name.ok()) return api_error(400, name.error());
    if (!display.ok()) return api_error(400, display.error());
    if (!roles.ok()) return api_error(400, roles.error());
    if (!valid_id(*name)) return {400, Json{{"error", "name: " + std::string(kIdRule)}, {"field", "name"}}};
    if (ac.account(*name)) return {409, Json{{"error", "name: account '" + *name + "' exists"}, {"field", "name"}}};
    // "password": false makes an account for an operator certificate only (no sign-in).
    const bool with_password = !body.contains("password") || (body["password"].is_boolean() && body["password"].get<bool>());
    access::NewAccount a{*name, *display, *roles, ""};
    if (!with_password) {
      change(access::CreateAccount{a}, by, [reply, a](Status st) {
        if (!st.ok()) return reply(api_error(409, st.error()));
        reply({200, Json{{"name", a.name}}});
      });
      return deferred();
    }
    one_time(a.name, [this, a, by, reply](Expected<std::pair<std::string, std::string>> pw) mutable {
      if (!pw.ok()) return reply(api_error(503, pw.error()));
      a.password_hash = pw->second;
      change(access::CreateAccount{a}, by, [reply, a, otp = pw->first](Status st) {
        if (!st.ok()) return reply(api_error(409, st.error()));
        reply({200, Json{{"name", a.name}, {"one_time_password", otp},
                         {"note", "shown once; the first sign-in must choose a new password"}}});
      });
    });
    return deferred();
  }
  const std::string name = p[2];
  if (!ac.account(name)) return api_error(404, "no account '" + text::log_safe(name, 64) + "'");
  if (p.size() == 3 && r.method == "PUT") {
    if (auto st = only_fields(body, {"name", "display_name", "roles", "disabled"}); !st.ok()) return api_error(400, st.error());
    auto display = string_field(body, "display_name", 256, ac.account(name)->display_name);
    auto roles = role_list(body);
    if (!display.ok()) return api_error(400, display.error());
    if (!roles.ok()) return {400, Json{{"error", roles.error()}, {"field", "roles"}}};
    if (body.contains("name") && body["name"] != name) return api_error(400, "name: differs from the path's");
    const bool disabled = body.contains("disabled") && body["disabled"].is_boolean() && body["disabled"].get<bool>();
    change(access::UpdateAccount{name, *display, *roles, disabled}, by, done);
    return deferred();
  }
  if (p.size() == 3 && r.method == "DELETE") {
    change(access::DeleteAccount{name}, by, done);
    return deferred();
  }
  if (p.size() == 4 && p[3] == "unlock") {
    change(access::Unlock{name}, by, done);
    return deferred();
  }
  if (p.size() == 4 && p[3] == "reset-password") {
    one_time(name, [this, name, by, reply](Expected<std::pair<std::string, std::string>> pw) {
      if (!pw.ok()) return reply(api_error(503, pw.error()));
      change(access::SetPassword{name, pw->second, true}, by, [reply, name, otp = pw->first](Status st) {
        if (!st.ok()) return reply(api_error(409, st.error()));
        reply({200, Json{{"name", name}, {"one_time_password", otp},
                         {"note", "shown once; the account's sessions ended; the next sign-in must choose a new password"}}});
      });
    });
    return deferred();
  }
  return api_error(404, "no route for " + r.method + " " + r.target);
}

ApiResponse AccessRoutes::sessions(const ApiRequest& r, const std::vector<std::string>& p, const Caller& caller,
                                   const access::Actor& by, const Reply& reply) {
  const auto& ac = core_.access();
  auto done = [reply](Status st) { reply(st.ok() ? ApiResponse{200, Json{{"ok", true}}} : api_error(409, st.error())); };
  if (p.size() == 2 && r.method == "GET") {
    Json out = Json::array();
    for (const auto& [hash, s] : ac.state().sessions)
      out.push_back({{"id", hash.substr(0, 16)}, {"account", s.account}, {"source", s.source},
                     {"created_ms", s.created_ms}, {"idle_s", auth_.idle_seconds(hash, r.local_ms)},
                     {"current", hash == caller.session}});
    return {200, Json{{"sessions", out}}};
  }
  if (p.size() == 3 && p[2] == "rotate-key") {
    change(access::RotateSessionKey{random_hex(32)}, by, done);
    return deferred();
  }
  if (p.size() == 3 && r.method == "DELETE") {
    // By the id GET shows (the hash's first 16 digits): the secret is never shown.
    const std::string prefix = p[2];
    if (prefix.size() < 16) return api_error(400, "id: the 16-digit id GET /v1/sessions shows");
    for (const auto& [hash, s] : ac.state().sessions)
      if (hash.rfind(prefix, 0) == 0) {
        change(access::EndSession{hash, "ended by " + by.account}, by, done);
        return deferred();
      }
    return api_error(404, "no session " + text::log_safe(prefix, 64));
  }
  return api_error(404, "no route for " + r.method + " " + r.target);
}

ApiResponse AccessRoutes::audit(const ApiRequest& r, const std::vector<std::string>& p, const access::Actor& by,
                                const Reply& reply) {
  if (!audit_) return api_error(503, "this controller keeps no audit trail");
  const auto qpos = r.target.find('?');
  const std::string query = qpos == std::string::npos ? "" : r.target.substr(qpos + 1);
  const Json head{{"seq", core_.access().state().audit.seq}, {"hash", core_.access().state().audit.hash}};
  if (p.size() == 2) {
    AuditQuery q;
    q.account = query_param(query, "account");
    q.action = query_param(query, "action");
    auto since = int_param(query, "since", 0, INT64_MAX / 2, 0);
    auto until = int_param(query, "until", 0, INT64_MAX / 2, 0);
    auto before = int_param(query, "before", 0, INT64_MAX / 2, 0);
    auto limit = int_param(query, "limit", 1, 10000, 100);
    for (const auto* e : {&since, &until, &before, &limit})
      if (!e->ok()) return api_error(400, e->error());
    q.since_ms = *since, q.until_ms = *until, q.before_seq = static_cast<uint64_t>(*before), q.limit = static_cast<int>(*limit);
    auto rows = audit_->query(q);
    if (!rows.ok()) return api_error(500, rows.error());
    Json out = Json::array();
    for (const auto& rec : *rows) out.push_back(access::to_json(rec));
    return {200, Json{{"records", out}, {"head", head}}};
  }
  if (p.size() == 3 && p[2] == "chain") {
    // Ascending pages for `poolhactl audit verify`, with what the chain must reach.
    auto from = int_param(query, "from", 1, INT64_MAX / 2, 1);
    auto limit = int_param(query, "limit", 1, 10000, 1000);
    if (!from.ok()) return api_error(400, from.error());
    if (!limit.ok()) return api_error(400, limit.error());
    auto rows = audit_->range(static_cast<uint64_t>(*from), static_cast<size_t>(*limit));
    if (!rows.ok()) return api_error(500, rows.error());
    Json out = Json::array();
    for (const auto& rec : *rows) out.push_back(access::to_json(rec));
    return {200, Json{{"records", out}, {"head", head}, {"first_held", audit_->first_seq()},
                      {"last_held", audit_->last_seq()}}};
  }
  if (p.size() == 3 && p[2] == "export") {
    auto since = int_param(query, "since", 0, INT64_MAX / 2, 0);
    auto until = int_param(query, "until", 0, INT64_MAX / 2, 0);
    if (!since.ok()) return api_error(400, since.error());
    if (!until.ok()) return api_error(400, until.error());
    std::string csv = access::csv_header();
    size_t n = 0;
    for (uint64_t from = 1;;) {
      auto rows = audit_->range(from, 5000);
      if (!rows.ok()) return api_error(500, rows.error());
      for (const auto& rec : *rows)
        if (rec.at_ms >= *since && (*until == 0 || rec.at_ms <= *until)) csv += access::csv_line(rec), ++n;
      if (rows->size() < 5000) break;
      from = rows->back().seq + 1;
    }
    // Who exported what is itself part of the trail.
    change(access::Note{"audit.export", "audit trail", "ok", std::to_string(n) + " records as CSV"}, by, [](Status) {});
    ApiResponse out{200, nullptr};
    out.content_type = "text/csv; charset=utf-8";
    out.text = std::move(csv);
    out.headers.emplace_back("Content-Disposition", "attachment; filename=\"poolha-audit.csv\"");
    (void)reply;
    return out;
  }
  return api_error(404, "no route for " + r.method + " " + r.target);
}

}  // namespace poolha::controller
