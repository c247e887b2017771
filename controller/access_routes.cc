// Signing in and out, one's own password, the first start's administrators.
#include "controller/access_routes.h"

#include "access/json_codec.h"
#include "common/sha256.h"
#include "common/time_text.h"
#include "common/utf8.h"
#include "controller/request_parts.h"

namespace poolha::controller {

namespace {

using Json = nlohmann::json;

constexpr size_t kMaxAccountBytes = 64;
// Said for an unknown account and a wrong password alike: which one it was is not
// told to whoever is trying names.
constexpr const char* kWrongCredentials = "wrong account or password";

std::string session_cookie(const std::string& value, int64_t max_age_s) {
  return std::string(ApiAuth::kCookie) + "=" + value + "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(max_age_s);
}

// "2026-05-28 20:56 UTC": common/time_text's spelling, to the minute.
std::string iso_minutes(int64_t ms) {
  std::string t = iso8601_utc(ms).substr(0, 16);
  t[10] = ' ';
  return t + " UTC";
}

}  // namespace

void AccessRoutes::change(access::Change c, const access::Actor& by, std::function<void(Status)> done) {
  core_.operator_command(LogEntry(std::move(c), by), std::move(done));
}

void AccessRoutes::one_time(const std::string& account,
                            std::function<void(Expected<std::pair<std::string, std::string>>)> done) {
  const size_t length = std::max<size_t>(16, static_cast<size_t>(core_.access().state().policy.min_length));
  std::string password;
  // Drawn until the policy accepts it (it nearly always does at once).
  for (int i = 0; i < 16; ++i) {
    password = one_time_password(length);
    if (access::password_problems(core_.access().state().policy, account, password).empty()) break;
  }
  if (!hasher_) return done(Status::Error("passwords are not available on this controller"));
  const bool queued = hasher_->hash(password, [password, done](Expected<std::string> h) {
    if (!h.ok()) return done(h.status());
    done(std::make_pair(password, *h));
  });
  if (!queued) done(Status::Error("the controller is busy checking passwords; try again in a moment"));
}

std::optional<ApiResponse> AccessRoutes::route(const ApiRequest& r, const std::vector<std::string>& p, const Json& body,
                                               const Caller& caller, const access::Actor& by, const Reply& reply) {
  const std::string& what = p[1];
  if (p.size() == 2 && what == "login") return login(r, body, by, reply);
  if (p.size() == 2 && what == "logout") return logout(caller, by, reply);
  if (p.size() == 2 && what == "me") return ApiResponse{200, me(caller, r)};
  if (p.size() == 2 && what == "password") return change_password(caller, body, by, reply);
  if (p.size() == 3 && what == "users" && p[2] == "bootstrap") return bootstrap(body, by, reply);
  if (what == "users" || what == "policy") return users(r, p, body, by, reply);
  if (what == "sessions") return sessions(r, p, caller, by, reply);
  if (what == "audit") return audit(r, p, by, reply);
  return std::nullopt;
}

Json AccessRoutes::me(const Caller& caller, const ApiRequest& r) const {
  const auto& ac = core_.access();
  Json perms = Json::array();
  // Before the first accounts exist, a certificate may do everything (see docs/webui.md).
  const bool legacy = !ac.bootstrapped() && caller.kind == Caller::Kind::Certificate;
  for (access::Permission p : access::kAllPermissions)
    if (legacy || access::may(caller.roles, p)) perms.push_back(access::to_string(p));
  Json out{{"account", caller.account},
           {"auth", caller.kind == Caller::Kind::Session ? "session" : "certificate"},
           {"roles", access::role_names(caller.roles)},
           {"permissions", perms},
           {"bootstrapped", ac.bootstrapped()},
           {"password_change_required", caller.password_change_required},
           {"policy", {{"min_length", ac.state().policy.min_length},
                       {"min_classes", ac.state().policy.min_classes},
                       {"idle_timeout_minutes", ac.state().policy.idle_timeout_minutes}}}};
  if (const access::Account* a = ac.account(caller.account)) {
    out["display_name"] = a->display_name;
    out["last_login_ms"] = a->last_login_ms;
    out["last_login_from"] = a->last_login_from;
    if (ac.state().policy.expiry_days > 0 && !a->password_hash.empty())
      out["password_expires_ms"] = a->password_set_ms + ac.state().policy.expiry_days * 86'400'000;
  }
  if (caller.kind == Caller::Kind::Session) {
    out["csrf"] = auth_.csrf_token(caller.session);
    if (const access::Session* s = ac.session(caller.session))
      out["session_expires_ms"] = s->created_ms + ac.state().policy.session_hours * 3'600'000;
  }
  (void)r;
  return out;
}

ApiResponse AccessRoutes::login(const ApiRequest& r, const Json& body, const access::Actor& by, const Reply& reply) {
  if (auto st = only_fields(body, {"account", "password"}); !st.ok()) return api_error(400, st.error());
  auto name = string_field(body, "account", kMaxAccountBytes);
  auto password = string_field(body, "password", access::kMaxPasswordBytes);
  if (!name.ok()) return api_error(400, name.error());
  if (!password.ok()) return api_error(400, password.error());
  if (!hasher_) return api_error(503, "password sign-in is not available on this controller");
  const auto& ac = core_.access();
  if (!ac.bootstrapped())
    return api_error(409, "no accounts yet: create the administrators first (poolhactl users bootstrap)", "not_bootstrapped");
  access::Actor who = by;
  who.account = *name;
  who.roles = access::role_names(ac.roles_of(*name));
  if (auth_.source_blocked(r.source, r.local_ms)) {
    change(access::LoginFailed{*name, r.source, "throttled"}, who, [](Status) {});
    return api_error(429, "too many failed sign-ins from " + r.source + "; wait " +
                              std::to_string(ac.state().policy.source_window_minutes) + " min",
                     "throttled");
  }
  const access::Account* a = ac.account(*name);
  if (a && a->disabled) {
    change(access::LoginFailed{*name, r.source, "disabled"}, who, [](Status) {});
    return api_error(403, "this account is disabled; ask the security administrator", "disabled");
  }
  if (a && ac.locked(*a, r.wall_ms)) {
    change(access::LoginFailed{*name, r.source, "locked"}, who, [](Status) {});
    return api_error(423, "this account is locked until " + iso_minutes(a->locked_until_ms) +
                              " after repeated failed sign-ins; the security administrator can unlock it",
                     "locked");
  }
  if (verifying_.count(*name)) return api_error(429, "a sign-in for this account is being checked; try again", "throttled");
  const std::string account = *name, source = r.source;
  const int64_t local_ms = r.local_ms;
  const bool queued = hasher_->verify(a ? a->password_hash : "", *password, [=, this](bool ok) {
    verifying_.erase(account);
    if (!ok || !core_.access().account(account)) {
      auth_.note_failure(source, local_ms);
      change(access::LoginFailed{account, source, core_.access().account(account) ? "password" : "unknown account"}, who,
             [=, this](Status) {
               const access::Account* now = core_.access().account(account);
               if (now && core_.access().locked(*now, who.at_ms))
                 return reply(api_error(423, "wrong password; the account is now locked until " +
                                                 iso_minutes(now->locked_until_ms),
                                        "locked"));
               reply(api_error(401, kWrongCredentials, "wrong_credentials"));
             });
      return;
    }
    const std::string secret = random_hex(32);
    const std::string hash = sha256_hex(secret);
    change(access::LoginSucceeded{account, hash, source}, who, [=, this](Status st) {
      if (!st.ok()) return reply(api_error(403, "sign-in refused: " + st.error(), "refused"));
      auth_.touch(hash, local_ms);
      Caller c;
      c.kind = Caller::Kind::Session;
      c.account = account;
      c.session = hash;
      c.roles = core_.access().roles_of(account);
      const access::Account* acc = core_.access().account(account);
      c.password_change_required = acc && (acc->must_change || core_.access().password_expired(*acc, who.at_ms));
      ApiRequest req;
      ApiResponse out{200, me(c, req)};
      out.headers.emplace_back("Set-Cookie",
                               session_cookie(secret, core_.access().state().policy.session_hours * 3600));
      reply(std::move(out));
    });
  });
  if (!queued) return api_error(503, "the controller is busy checking passwords; try again in a moment", "busy");
  verifying_.insert(account);
  return deferred();
}

ApiResponse AccessRoutes::logout(const Caller& caller, const access::Actor& by, const Reply& reply) {
  if (caller.kind != Caller::Kind::Session) return api_error(400, "not signed in with a session (a certificate needs no sign-out)");
  auth_.forget(caller.session);
  change(access::EndSession{caller.session, "logout"}, by, [reply](Status) {
    ApiResponse out{200, Json{{"ok", true}}};
    out.headers.emplace_back("Set-Cookie", session_cookie("", 0));
    reply(std::move(out));
  });
  return deferred();
}

ApiResponse AccessRoutes::change_password(const Caller& caller, const Json& body, const access::Actor& by,
                                          const Reply& reply) {
  if (auto st = only_fields(body, {"old", "new"}); !st.ok()) return api_error(400, st.error());
  auto old_pw = string_field(body, "old", access::kMaxPasswordBytes);
  auto new_pw = string_field(body, "new", access::kMaxPasswordBytes);
  if (!old_pw.ok()) return api_error(400, old_pw.error());
  if (!new_pw.ok()) return api_error(400, new_pw.error());
  const access::Account* a = core_.access().account(caller.account);
  if (!a) return api_error(404, "no account '" + caller.account + "' (a certificate without an account has no password)");
  if (!hasher_) return api_error(503, "passwords are not available on this controller");
  const auto problems = access::password_problems(core_.access().state().policy, caller.account, *new_pw);
  if (!problems.empty()) {
    std::string why;
    for (const auto& p : problems) why += (why.empty() ? "" : "; ") + p;
    return {400, Json{{"error", "new: " + why}, {"code", "password_policy"}, {"field", "new"}, {"problems", problems}}};
  }
  if (*old_pw == *new_pw) return {400, Json{{"error", "new: the same as the current password"}, {"field", "new"}}};
  if (verifying_.count(caller.account)) return api_error(429, "a password check for this account is in progress");
  const std::string account = caller.account, current = a->password_hash, next = *new_pw;
  const bool queued = hasher_->verify(current, *old_pw, [=, this](bool ok) {
    verifying_.erase(account);
    if (!ok) {
      // A wrong current password counts as a failed sign-in (lockout), as at the login page.
      change(access::LoginFailed{account, by.source, "password"}, by, [reply](Status) {
        reply({403, Json{{"error", "old: the current password is wrong"}, {"code", "wrong_credentials"}, {"field", "old"}}});
      });
      return;
    }
    const bool q = hasher_->hash(next, [=, this](Expected<std::string> h) {
      if (!h.ok()) return reply(api_error(500, h.error()));
      change(access::SetPassword{account, *h, false}, by, [reply](Status st) {
        if (!st.ok()) return reply(api_error(409, st.error()));
        reply({200, Json{{"ok", true}}});
      });
    });
    if (!q) reply(api_error(503, "the controller is busy checking passwords; try again in a moment", "busy"));
  });
  if (!queued) return api_error(503, "the controller is busy checking passwords; try again in a moment", "busy");
  verifying_.insert(account);
  return deferred();
}

// POST /v1/users/bootstrap {"accounts": [{"name", "roles", "display_name"}]}: the first
// accounts, each with a one-time password shown once in the answer. Without a body:
// sysadmin, secadmin and auditadmin.
ApiResponse AccessRoutes::bootstrap(const Json& body, const access::Actor& by, const Reply& reply) {
  if (core_.access().bootstrapped()) return api_error(409, "accounts exist already: bootstrap is for the first start only");
  if (auto st = only_fields(body, {"accounts"}); !st.ok()) return api_error(400, st.error());
  auto wanted = std::make_shared<std::vector<access::NewAccount>>();
  if (body.contains("accounts")) {
    if (!body["accounts"].is_array() || body["accounts"].empty() || body["accounts"].size() > 64)
      return api_error(400, "accounts: a list of 1..64 accounts");
    for (size_t i = 0; i < body["accounts"].size(); ++i) {
      const Json& a = body["accounts"][i];
      const std::string at = "accounts[" + std::to_string(i) + "]";
      if (auto st = only_fields(a, {"name", "roles", "display_name"}); !st.ok()) return api_error(400, at + ": " + st.error());
      auto name = string_field(a, "name", kMaxAccountBytes);
      auto display = string_field(a, "display_name", 256, "");
      if (!name.ok()) return api_error(400, at + "." + name.error());
      if (!display.ok()) return api_error(400, at + "." + display.error());
      if (!a.contains("roles") || !a["roles"].is_array()) return api_error(400, at + ".roles: a list of role names");
      std::vector<std::string> roles;
      for (const auto& r : a["roles"]) {
        if (!r.is_string()) return api_error(400, at + ".roles: a list of role names");
        roles.push_back(r.get<std::string>());
      }
      if (auto parsed = access::parse_roles(roles); !parsed.ok()) return api_error(400, at + "." + parsed.error());
      wanted->push_back({*name, *display, roles, ""});
    }
  } else {
    *wanted = {{"sysadmin", "系统管理员", {"sysadmin"}, ""},
               {"secadmin", "安全管理员", {"secadmin"}, ""},
               {"auditadmin", "审计管理员", {"auditadmin"}, ""}};
  }
  auto job = std::make_shared<BootstrapJob>(BootstrapJob{std::move(*wanted), {}, by, reply});
  bootstrap_next(job);
  return deferred();
}

// One hash at a time on the hasher's thread, then one Bootstrap entry.
void AccessRoutes::bootstrap_next(std::shared_ptr<BootstrapJob> job) {
  const size_t i = job->passwords.size();
  if (i == job->accounts.size()) {
    change(access::Bootstrap{job->accounts, random_hex(32)}, job->by, [job](Status st) {
      if (!st.ok()) return job->reply(api_error(409, st.error()));
      Json accounts = Json::array();
      for (size_t k = 0; k < job->accounts.size(); ++k)
        accounts.push_back({{"name", job->accounts[k].name}, {"roles", job->accounts[k].roles},
                            {"one_time_password", job->passwords[k]}});
      job->reply({200, Json{{"accounts", accounts},
                            {"note", "each password works once: the first sign-in must choose a new one"}}});
    });
    return;
  }
  one_time(job->accounts[i].name, [this, job, i](Expected<std::pair<std::string, std::string>> pw) {
    if (!pw.ok()) return job->reply(api_error(503, pw.error()));
    job->passwords.push_back(pw->first);
    job->accounts[i].password_hash = pw->second;
    bootstrap_next(job);
  });
}

}  // namespace poolha::controller
