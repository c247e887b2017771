// poolhactl users ... and audit ...: accounts (the security administrator's) and the
// audit trail (the audit administrator's) through the controller's REST API.
#include <cstdio>
#include <fstream>

#include "access/audit.h"
#include "access/json_codec.h"
#include "cli/commands.h"
#include "cli/tables.h"
#include "common/json_text.h"
#include "common/time_text.h"

namespace poolha::cli {

namespace {

// "operator+viewer" -> ["operator", "viewer"].
Json roles_of(const std::string& spec) {
  Json out = Json::array();
  size_t i = 0;
  while (i <= spec.size()) {
    size_t j = spec.find('+', i);
    if (j == std::string::npos) j = spec.size();
    if (j > i) out.push_back(spec.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string joined(const Json& list) {
  std::string out;
  if (list.is_array())
    for (const auto& v : list) out += (out.empty() ? "" : "+") + (v.is_string() ? v.get<std::string>() : json_text(v));
  return out;
}

std::string when(const Json& ms) {
  if (!ms.is_number_integer() || ms.get<int64_t>() <= 0) return "-";
  return iso8601_utc(ms.get<int64_t>()).substr(0, 19) + "Z";
}

// Prints the accounts and one-time passwords an answer carries.
void print_passwords(const Json& accounts) {
  Table t({"ACCOUNT", "ROLES", "ONE-TIME PASSWORD"});
  for (const auto& a : accounts)
    t.add({a.value("name", "-"), joined(a.value("roles", Json::array())), a.value("one_time_password", "-")});
  std::printf("%s", t.render().c_str());
  std::printf("Each password works once: the first sign-in must choose a new one. Hand them over separately.\n");
}

}  // namespace

int cmd_users_bootstrap(Context& c) {
  Json body = Json::object();
  if (c.args.has("account")) {
    Json accounts = Json::array();
    for (const auto& spec : c.args.all("account")) {
      const auto eq = spec.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
        return usage("--account " + spec + ": expected NAME=ROLE[+ROLE], e.g. ops=operator");
      accounts.push_back({{"name", spec.substr(0, eq)}, {"roles", roles_of(spec.substr(eq + 1))}});
    }
    body["accounts"] = accounts;
  }
  int rc = kExitFailed;
  auto res = call_api(c, "creating the first accounts", "POST", "/v1/users/bootstrap", body, &rc);
  if (!res) return rc;
  if (c.json) print_json(*res);
  else print_passwords((*res)["accounts"]);
  return kExitOk;
}

int cmd_users_list(Context& c) {
  int rc = kExitFailed;
  auto res = call_api(c, "listing the accounts", "GET", "/v1/users", Json(), &rc);
  if (!res) return rc;
  if (c.json) return print_json(*res), kExitOk;
  Table t({"ACCOUNT", "NAME", "ROLES", "STATE", "LAST SIGN-IN", "FROM", "SESSIONS"});
  for (const auto& a : (*res)["accounts"]) {
    std::string state = a.value("disabled", false) ? "disabled"
                        : a.value("locked_until_ms", int64_t{0}) > 0 ? "locked until " + when(a["locked_until_ms"])
                        : a.value("must_change", false) ? "one-time password"
                        : a.value("password_expired", false) ? "password expired"
                        : !a.value("has_password", false) ? "certificate only"
                                                          : "active";
    t.add({a.value("name", "-"), a.value("display_name", ""), joined(a.value("roles", Json::array())), state,
           when(a.value("last_login_ms", Json())), a.value("last_login_from", "-"),
           std::to_string(a.value("sessions", 0))});
  }
  std::printf("%s", t.render().c_str());
  return kExitOk;
}

int cmd_users_add(Context& c) {
  if (!c.args.has("role")) return usage("users add: --role ROLE[+ROLE] is required");
  Json body{{"name", c.positionals[0]}, {"roles", roles_of(c.args.value("role"))}};
  if (c.args.has("display-name")) body["display_name"] = c.args.value("display-name");
  if (c.args.flag("no-password")) body["password"] = false;
  int rc = kExitFailed;
  auto res = call_api(c, "creating account " + c.positionals[0], "POST", "/v1/users", body, &rc);
  if (!res) return rc;
  if (c.json) return print_json(*res), kExitOk;
  if (res->contains("one_time_password")) print_passwords(Json::array({{{"name", c.positionals[0]}, {"roles", body["roles"]},
                                                                        {"one_time_password", (*res)["one_time_password"]}}}));
  else std::printf("account %s created (certificate only: no sign-in)\n", c.positionals[0].c_str());
  return kExitOk;
}

int cmd_users_set(Context& c) {
  const std::string name = c.positionals[0];
  int rc = kExitFailed;
  auto all = call_api(c, "reading the accounts", "GET", "/v1/users", Json(), &rc);
  if (!all) return rc;
  Json current;
  for (const auto& a : (*all)["accounts"])
    if (a.value("name", "") == name) current = a;
  if (current.is_null()) return fail("no account '" + name + "' (poolhactl users list)");
  Json body{{"roles", c.args.has("role") ? roles_of(c.args.value("role")) : current["roles"]},
            {"display_name", c.args.has("display-name") ? c.args.value("display-name") : current.value("display_name", "")},
            {"disabled", c.args.flag("disable") ? true : c.args.flag("enable") ? false : current.value("disabled", false)}};
  return act(c, "changing account " + name, "PUT", "/v1/users/" + url_encode(name), body, "account " + name + " changed");
}

int cmd_users_delete(Context& c) {
  return act(c, "deleting account " + c.positionals[0], "DELETE", "/v1/users/" + url_encode(c.positionals[0]), Json(),
                "account " + c.positionals[0] + " deleted");
}

int cmd_users_unlock(Context& c) {
  return act(c, "unlocking account " + c.positionals[0], "POST",
                "/v1/users/" + url_encode(c.positionals[0]) + "/unlock", Json::object(),
                "account " + c.positionals[0] + " unlocked");
}

int cmd_users_reset(Context& c) {
  int rc = kExitFailed;
  auto res = call_api(c, "resetting the password of " + c.positionals[0], "POST",
                  "/v1/users/" + url_encode(c.positionals[0]) + "/reset-password", Json::object(), &rc);
  if (!res) return rc;
  if (c.json) return print_json(*res), kExitOk;
  print_passwords(Json::array({{{"name", c.positionals[0]}, {"roles", Json::array()},
                                {"one_time_password", (*res)["one_time_password"]}}}));
  return kExitOk;
}

int cmd_audit_list(Context& c) {
  long long limit = 50;
  if (c.args.has("limit")) {
    auto l = parse_int("limit", c.args.value("limit"), 1, 10000);
    if (!l.ok()) return usage(l.error());
    limit = *l;
  }
  std::string target = "/v1/audit?limit=" + std::to_string(limit);
  if (c.args.has("account")) target += "&account=" + url_encode(c.args.value("account"));
  if (c.args.has("action")) target += "&action=" + url_encode(c.args.value("action"));
  int rc = kExitFailed;
  auto res = call_api(c, "reading the audit trail", "GET", target, Json(), &rc);
  if (!res) return rc;
  if (c.json) return print_json(*res), kExitOk;
  Table t({"SEQ", "TIME", "ACCOUNT", "ROLES", "SOURCE", "ACTION", "TARGET", "RESULT", "REASON", "TICKET"});
  const Json& records = (*res)["records"];
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    const Json& r = *it;
    t.add({std::to_string(r.value("seq", 0)), when(r.value("at_ms", Json())), r.value("account", ""),
           r.value("roles", ""), r.value("source", ""), r.value("action", ""), r.value("target", ""),
           r.value("result", ""), r.value("reason", ""), r.value("ticket", "")});
  }
  std::printf("%s", t.empty() ? "no audit records\n" : t.render().c_str());
  return kExitOk;
}

int cmd_audit_verify(Context& c) {
  ApiClient client(c.api);
  std::vector<access::AuditRecord> records;
  access::AuditHead head;
  uint64_t first_held = 0;
  for (uint64_t from = 1;;) {
    ApiResult r = client.call("GET", "/v1/audit/chain?from=" + std::to_string(from) + "&limit=5000");
    if (!r.ok()) return api_fail("reading the audit trail", r);
    if (from == 1) {
      head = {r.body["head"].value("seq", uint64_t{0}), r.body["head"].value("hash", "")};
      first_held = r.body.value("first_held", uint64_t{0});
    }
    const Json& page = r.body["records"];
    for (const auto& j : page) {
      auto rec = access::audit_record_from_json(j);
      if (!rec.ok()) return fail("the controller sent an audit record that does not read: " + rec.error());
      records.push_back(std::move(*rec));
    }
    if (page.size() < 5000) break;
    from = records.back().seq + 1;
  }
  // The chain starts at record 1; a member that joined by snapshot may lack the first ones.
  const std::string prev = records.empty() ? "" : records.front().prev_hash;
  auto check = access::verify_chain(records, first_held <= 1 ? "" : prev, head);
  if (!records.empty() && records.front().seq != 1 && check.ok) {
    check.ok = false;
    check.first_bad_seq = 1;
    check.problem = "records 1.." + std::to_string(records.front().seq - 1) + " are not held by the controller at " +
                    c.api.api + " (it joined from a snapshot); verify against another member";
  }
  if (c.json) {
    print_json({{"ok", check.ok}, {"checked", check.checked}, {"head", {{"seq", head.seq}, {"hash", head.hash}}},
                {"first_bad_seq", check.first_bad_seq}, {"problem", check.problem}});
    return check.ok ? kExitOk : kExitFailed;
  }
  if (!check.ok)
    return fail("audit trail broken at record " + std::to_string(check.first_bad_seq) + ": " + check.problem +
                " (" + std::to_string(check.checked) + " records before it fit)");
  std::printf("audit trail intact: %llu records, each hash and link checked, ending at the replicated head %llu (%s)\n",
              static_cast<unsigned long long>(check.checked), static_cast<unsigned long long>(head.seq),
              head.hash.substr(0, 16).c_str());
  return kExitOk;
}

int cmd_audit_export(Context& c) {
  std::string target = "/v1/audit/export";
  if (c.args.has("since")) target += "?since=" + url_encode(c.args.value("since"));
  ApiClient client(c.api);
  ApiResult r = client.call("GET", target);
  if (!r.ok()) return api_fail("exporting the audit trail", r);
  if (!c.args.has("file")) {
    std::fwrite(r.text.data(), 1, r.text.size(), stdout);
    return kExitOk;
  }
  std::ofstream out(c.args.value("file"), std::ios::binary | std::ios::trunc);
  out.write(r.text.data(), static_cast<std::streamsize>(r.text.size()));
  if (!out) return fail("cannot write " + c.args.value("file"));
  std::fprintf(stderr, "wrote %zu bytes to %s\n", r.text.size(), c.args.value("file").c_str());
  return kExitOk;
}

}  // namespace poolha::cli
