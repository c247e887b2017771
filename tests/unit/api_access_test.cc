// Accounts, sessions and permissions at the REST API without sockets: ApiRoutes over
// the core on the real one-voter Raft log and SQLite, with the real argon2id hasher on
// its own thread (at libsodium's minimum cost: the cost is not what is tested here;
// the daemon uses the INTERACTIVE limits). The role x route matrix walks every route
// of route_permissions.h for every role, as a session and as a certificate.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "access/json_codec.h"
#include "common/sha256.h"
#include "controller/api_routes.h"
#include "controller_core/event_history.h"
#include "rules/json_codec.h"
#include "tests/support/api_request.h"
#include "tests/support/no_outbox.h"
#include "tests/support/one_voter_log.h"

namespace poolha::controller {
namespace {

using Json = nlohmann::json;
using testing::browser_request;
using testing::cert_request;

using testing::NoOutbox;

struct Session {
  std::string cookie;  // the secret
  std::string csrf;
};

constexpr int64_t kWall = 1'780'000'000'000;

class ApiAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(*store::SqliteDb::open(":memory:"));
    history_ = std::move(*EventHistory::open(*db_));
    audit_ = std::move(*AuditStore::open(*db_));
    log_ = std::make_unique<testing::OneVoterLog>(*db_, [] { return TimeMs{1000}; });
    core_ = std::make_unique<ControllerCore>(*log_, *history_, out_, rules::Settings{});
    core_->set_audit_store(audit_.get());
    ASSERT_TRUE(log_->start(*core_).ok());
    hasher_ = std::make_unique<PasswordHasher>(io_, PasswordHasher::minimal());
    routes_ = std::make_unique<ApiRoutes>(*core_, *history_, true, "ctl1", [] { return TimeMs{1000}; },
                                          audit_.get(), hasher_.get());
  }
  void TearDown() override {
    routes_.reset();
    hasher_.reset();
  }

  // Runs the request; a deferred answer (password checks, commits) is waited for.
  ApiResponse call(const ApiRequest& r) {
    std::optional<ApiResponse> got;
    routes_->handle(r, [&](ApiResponse a) { got = std::move(a); });
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!got && std::chrono::steady_clock::now() < until) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(got) << r.method << " " << r.target << ": no answer";
    return got.value_or(ApiResponse{-1, nullptr});
  }
  ApiResponse as(const Session& s, const std::string& method, const std::string& target, const std::string& body = "",
                 int64_t local_ms = 1000) {
    return call(browser_request(method, target, body, s.cookie, s.csrf, kWall, local_ms));
  }

  std::map<std::string, std::string> bootstrap() {
    Json body{{"accounts",
               {{{"name", "sys"}, {"roles", {"sysadmin"}}},
                {{"name", "sec"}, {"roles", {"secadmin"}}},
                {{"name", "aud"}, {"roles", {"auditadmin"}}},
                {{"name", "ops"}, {"roles", {"operator"}}, {"display_name", "值班员"}},
                {{"name", "view"}, {"roles", {"viewer"}}}}}};
    ApiResponse r = call(cert_request("POST", "/v1/users/bootstrap", body.dump()));
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, std::string> otp;
    for (const auto& a : r.body["accounts"]) otp[a["name"]] = a["one_time_password"];
    return otp;
  }
  ApiResponse login(const std::string& account, const std::string& password, const std::string& source = "198.18.0.101") {
    ApiRequest r = browser_request("POST", "/v1/login", Json{{"account", account}, {"password", password}}.dump());
    r.source = source;
    return call(r);
  }
  static Session session_of(const ApiResponse& r) {
    Session s;
    for (const auto& [k, v] : r.headers)
      if (k == "Set-Cookie") s.cookie = v.substr(v.find('=') + 1, 64);
    s.csrf = r.body.value("csrf", "");
    return s;
  }
  // Signs in with the one-time password and chooses a new one: a usable session.
  Session first_login(const std::string& account, const std::string& otp) {
    ApiResponse r = login(account, otp);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.body["password_change_required"].get<bool>());
    Session s = session_of(r);
    ApiResponse pw = as(s, "POST", "/v1/password", Json{{"old", otp}, {"new", password_of(account)}}.dump());
    EXPECT_EQ(pw.status, 200) << pw.body;
    return s;
  }
  static std::string password_of(const std::string& account) { return "Pw-2026-安全-Zq" + std::to_string(account.size()); }

  boost::asio::io_context io_;
  std::unique_ptr<store::SqliteDb> db_;
  std::unique_ptr<EventHistory> history_;
  std::unique_ptr<AuditStore> audit_;
  NoOutbox out_;
  std::unique_ptr<testing::OneVoterLog> log_;
  std::unique_ptr<ControllerCore> core_;
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<ApiRoutes> routes_;
};

// The request a route stands for: '*' becomes an id that names nothing, so allowed
// calls are refused by the handler (404, 409, 400), never carried out.
ApiRequest request_for(const RoutePermission& rp) {
  std::string target = rp.pattern;
  for (size_t at; (at = target.find('*')) != std::string::npos;) target.replace(at, 1, "no-such-0123456789");
  return browser_request(rp.method, target, rp.method == std::string("GET") ? "" : "{}");
}

TEST_F(ApiAccessTest, RoleByRouteMatrixHoldsForSessionsAndCertificates) {
  auto otp = bootstrap();
  std::map<std::string, Session> sessions;
  const std::vector<std::pair<std::string, access::Role>> role_of = {{"sys", access::Role::SystemAdmin},
                                                       {"sec", access::Role::SecurityAdmin},
                                                       {"aud", access::Role::AuditAdmin},
                                                       {"ops", access::Role::Operator},
                                                       {"view", access::Role::Viewer}};
  for (const auto& [name, pw] : otp) sessions[name] = first_login(name, pw);
  const Json before = rules::to_json(core_->state());
  const auto accounts_before = access::to_json(core_->access().state())["accounts"];
  int cells = 0, allowed = 0, denied = 0;
  std::printf("%-8s %-34s %-9s  sys sec aud ops view\n", "method", "route", "needs");
  for (const auto& rp : route_permissions()) {
    if (rp.gate != Gate::Permission) continue;
    const std::string route = rp.method + std::string(" ") + rp.pattern;
    // Signing out and a new session key end sessions: tested on their own below.
    if (route == "POST /v1/logout" || route == "POST /v1/sessions/rotate-key") continue;
    std::string line;
    for (const auto& [name, role] : role_of) {
      const bool may = access::may({role}, rp.permission);
      for (bool by_cert : {false, true}) {
        ApiRequest r = request_for(rp);
        if (by_cert) r.certificate = name;
        else r.cookie = "poolha_session=" + sessions[name].cookie, r.csrf = sessions[name].csrf;
        const ApiResponse got = call(r);
        ++cells;
        if (may) {
          ++allowed;
          EXPECT_NE(got.status, 403) << name << (by_cert ? " (certificate) " : " ") << route << ": " << got.body;
          EXPECT_NE(got.status, 401) << name << " " << route << ": " << got.body;
        } else {
          ++denied;
          EXPECT_EQ(got.status, 403) << name << (by_cert ? " (certificate) " : " ") << route << ": " << got.body;
          EXPECT_EQ(got.body.value("code", ""), "forbidden") << route;
        }
      }
      line += may ? "  Y " : "  - ";
    }
    std::printf("%-8s %-34s %-9s%s\n", rp.method, rp.pattern, access::to_string(rp.permission), line.c_str());
  }
  std::printf("matrix: %d cells (%d allowed, %d refused with 403), sessions and certificates alike\n", cells, allowed,
              denied);
  // Nothing a refused or a no-such-id call did changed the engine or the accounts.
  EXPECT_EQ(rules::to_json(core_->state()), before);
  EXPECT_EQ(access::to_json(core_->access().state())["accounts"], accounts_before);
  // Every refusal is in the audit trail (one record a second per account at most).
  auto denials = audit_->query({.action = "access.denied", .limit = 10000});
  ASSERT_TRUE(denials.ok());
  EXPECT_GE(denials->size(), 5u);
  std::printf("audit: %zu denial records\n", denials->size());
}

TEST_F(ApiAccessTest, SignInNeedsANewPasswordFirstAndChangesNeedTheCsrfToken) {
  auto otp = bootstrap();
  ApiResponse r = login("ops", otp["ops"]);
  ASSERT_EQ(r.status, 200) << r.body;
  Session s = session_of(r);
  ASSERT_EQ(s.cookie.size(), 64u);
  bool secure = false;
  for (const auto& [k, v] : r.headers)
    if (k == "Set-Cookie") secure = v.find("HttpOnly") != std::string::npos && v.find("Secure") != std::string::npos &&
                                    v.find("SameSite=Strict") != std::string::npos;
  EXPECT_TRUE(secure);
  // A one-time password opens only the account's own routes.
  EXPECT_EQ(as(s, "GET", "/v1/status").body.value("code", ""), "password_change_required");
  EXPECT_EQ(as(s, "GET", "/v1/me").status, 200);
  // The policy is checked where the password is chosen, with the reasons.
  ApiResponse weak = as(s, "POST", "/v1/password", Json{{"old", otp["ops"]}, {"new", "short"}}.dump());
  EXPECT_EQ(weak.status, 400);
  EXPECT_EQ(weak.body.value("field", ""), "new");
  ASSERT_EQ(as(s, "POST", "/v1/password", Json{{"old", otp["ops"]}, {"new", password_of("ops")}}.dump()).status, 200);
  EXPECT_EQ(as(s, "GET", "/v1/status").status, 200);
  // A change without the CSRF token is refused, with it allowed.
  Session no_csrf{s.cookie, ""};
  EXPECT_EQ(as(no_csrf, "POST", "/v1/rules/gw1/failback").body.value("code", ""), "csrf");
  EXPECT_EQ(as(s, "POST", "/v1/rules/gw1/failback").status, 409);  // allowed; the engine knows no gw1
  // The one-time password works once.
  EXPECT_EQ(login("ops", otp["ops"]).status, 401);
  // An unknown account is answered like a wrong password.
  ApiResponse unknown = login("nobody", "whatever-Pass-1");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body["error"], login("ops", "wrong-Pass-1").body["error"]);
  // Signing out ends the session on the server.
  ASSERT_EQ(as(s, "POST", "/v1/logout").status, 200);
  EXPECT_EQ(as(s, "GET", "/v1/me").status, 401);
}

TEST_F(ApiAccessTest, RepeatedFailuresLockTheAccountUntilTheSecurityAdministratorUnlocksIt) {
  auto otp = bootstrap();
  Session sec = first_login("sec", otp["sec"]);
  Session ops = first_login("ops", otp["ops"]);
  const auto& policy = core_->access().state().policy;
  std::vector<int> statuses;
  for (int i = 0; i < policy.lockout_failures; ++i) statuses.push_back(login("ops", "not-the-Password-" + std::to_string(i)).status);
  EXPECT_EQ(statuses.back(), 423);  // the failure that locks says so
  ApiResponse locked = login("ops", password_of("ops"));
  EXPECT_EQ(locked.status, 423) << locked.body;
  std::printf("lockout: %lld failures -> %d, then the right password -> %d (%s)\n",
              static_cast<long long>(policy.lockout_failures), statuses.back(), locked.status,
              locked.body["error"].get<std::string>().c_str());
  // The lock does not end sessions already open; the security administrator unlocks.
  EXPECT_EQ(as(ops, "GET", "/v1/status").status, 200);
  ASSERT_EQ(as(sec, "POST", "/v1/users/ops/unlock").status, 200);
  EXPECT_EQ(login("ops", password_of("ops")).status, 200);
  auto lockouts = audit_->query({.action = "access.lockout"});
  ASSERT_TRUE(lockouts.ok());
  EXPECT_EQ(lockouts->size(), 1u);
}

TEST_F(ApiAccessTest, ManyFailuresFromOneAddressAreThrottled) {
  auto otp = bootstrap();
  Session sec = first_login("sec", otp["sec"]);
  access::Policy p = core_->access().state().policy;
  p.source_failures = 3;
  p.lockout_failures = 100;
  ASSERT_EQ(as(sec, "PUT", "/v1/policy", access::to_json(p).dump()).status, 200);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(login("view", "bad-Password-" + std::to_string(i), "198.18.0.66").status, 401);
  EXPECT_EQ(login("view", otp["view"], "198.18.0.66").status, 429);
  EXPECT_EQ(login("view", otp["view"], "198.18.0.67").status, 200);  // another address is not held up
}

TEST_F(ApiAccessTest, IdleSessionsEndAndSessionsSurviveARestartOfTheCore) {
  auto otp = bootstrap();
  Session view = first_login("view", otp["view"]);
  Session ops = first_login("ops", otp["ops"]);
  const int64_t idle_ms = core_->access().state().policy.idle_timeout_minutes * 60'000;
  EXPECT_EQ(as(view, "GET", "/v1/status", "", 1000 + idle_ms - 1).status, 200);
  ApiResponse idle = as(view, "GET", "/v1/status", "", 1000 + 2 * idle_ms);
  EXPECT_EQ(idle.status, 401);
  EXPECT_EQ(core_->access().session(sha256_hex(view.cookie)), nullptr);
  auto ended = audit_->query({.action = "access.end_session"});
  ASSERT_TRUE(ended.ok());
  ASSERT_FALSE(ended->empty());
  EXPECT_EQ(ended->front().detail, "idle");
  // An open stream is not activity: the live feed's check ends a session idle past the
  // policy (the page then shows the sign-in form).
  Session aud = first_login("aud", otp["aud"]);  // last seen at local 1000 ms
  const std::string aud_hash = sha256_hex(aud.cookie);
  EXPECT_TRUE(routes_->session_valid(aud_hash, kWall, 1000 + idle_ms));
  EXPECT_FALSE(routes_->session_valid(aud_hash, kWall, 1000 + idle_ms + 1));
  routes_->end_idle_sessions(kWall);
  EXPECT_EQ(core_->access().session(aud_hash), nullptr);

  // The sessions are replicated state: a core rebuilt from the log (what the other
  // controller holds after a failover) accepts the same cookie.
  routes_.reset();
  core_.reset();
  log_ = std::make_unique<testing::OneVoterLog>(*db_, [] { return TimeMs{5000}; });
  core_ = std::make_unique<ControllerCore>(*log_, *history_, out_, rules::Settings{});
  core_->set_audit_store(audit_.get());
  ASSERT_TRUE(log_->start(*core_).ok());
  routes_ = std::make_unique<ApiRoutes>(*core_, *history_, true, "ctl1", [] { return TimeMs{1000}; },
                                        audit_.get(), hasher_.get());
  EXPECT_EQ(as(ops, "GET", "/v1/status").status, 200);
  EXPECT_EQ(as(ops, "POST", "/v1/rules/gw1/failback").status, 409);  // the CSRF token holds too
}

TEST_F(ApiAccessTest, CertificatesMapToAccountsOnceAccountsExist) {
  // Before the first accounts: a certificate may do everything (clusters made before).
  EXPECT_EQ(call(cert_request("GET", "/v1/users")).status, 200);
  EXPECT_EQ(call(browser_request("GET", "/v1/status")).status, 401);
  auto otp = bootstrap();
  EXPECT_EQ(call(cert_request("POST", "/v1/users/bootstrap", "{}")).status, 409);
  ApiResponse none = call(cert_request("GET", "/v1/status", "", "admin"));
  EXPECT_EQ(none.status, 403);
  EXPECT_NE(none.body["error"].get<std::string>().find("no account"), std::string::npos) << none.body;
  EXPECT_EQ(call(cert_request("GET", "/v1/status", "", "ops")).status, 200);
  EXPECT_EQ(call(cert_request("POST", "/v1/cluster/transfer", "{}", "ops")).status, 403);
  // The security administrator gives a certificate-only account (no password) its roles.
  Session sec = first_login("sec", otp["sec"]);
  ApiResponse made = as(sec, "POST", "/v1/users",
                        Json{{"name", "admin"}, {"roles", {"sysadmin", "operator"}}, {"password", false}}.dump());
  ASSERT_EQ(made.status, 200) << made.body;
  EXPECT_FALSE(made.body.contains("one_time_password"));
  EXPECT_NE(call(cert_request("PUT", "/v1/pools/p1", Json{{"id", "p1"}}.dump(), "admin")).status, 403);
  // Two administrator roles on one account are refused at the field.
  ApiResponse two = as(sec, "PUT", "/v1/users/admin", Json{{"roles", {"sysadmin", "auditadmin"}}}.dump());
  EXPECT_EQ(two.status, 400);
  EXPECT_EQ(two.body.value("field", ""), "roles");
}

TEST_F(ApiAccessTest, TheAuditAdministratorReadsVerifiesAndExportsTheTrail) {
  auto otp = bootstrap();
  Session ops = first_login("ops", otp["ops"]);
  Session aud = first_login("aud", otp["aud"]);
  ApiRequest sw = browser_request("POST", "/v1/rules/gw1/switchover", "{}", ops.cookie, ops.csrf);
  sw.reason = "切换演练";
  sw.ticket = "CHG-1";
  EXPECT_EQ(call(sw).status, 409);
  EXPECT_EQ(as(ops, "GET", "/v1/audit").status, 403);
  ApiResponse got = as(aud, "GET", "/v1/audit?account=ops&limit=50");
  ASSERT_EQ(got.status, 200) << got.body;
  bool seen = false;
  for (const auto& r : got.body["records"])
    seen = seen || (r["action"] == "switchover" && r["reason"] == "切换演练" && r["ticket"] == "CHG-1" &&
                    r["result"].get<std::string>().rfind("refused", 0) == 0);
  EXPECT_TRUE(seen) << got.body.dump(1);
  ApiResponse chain = as(aud, "GET", "/v1/audit/chain?from=1&limit=10000");
  ASSERT_EQ(chain.status, 200);
  std::vector<access::AuditRecord> records;
  for (const auto& j : chain.body["records"]) records.push_back(*access::audit_record_from_json(j));
  const access::AuditHead head{chain.body["head"]["seq"], chain.body["head"]["hash"]};
  auto check = access::verify_chain(records, "", head);
  EXPECT_TRUE(check.ok) << check.problem;
  std::printf("audit chain: %llu records verified up to the replicated head\n",
              static_cast<unsigned long long>(check.checked));
  ApiResponse csv = as(aud, "GET", "/v1/audit/export");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_NE(csv.text.find("切换演练"), std::string::npos);
}

}  // namespace
}  // namespace poolha::controller
