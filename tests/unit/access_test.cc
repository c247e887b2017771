// The access state machine, the role table, the password policy and the audit chain,
// without any I/O (access/ is pure).
#include <gtest/gtest.h>

#include "access/access_control.h"
#include "access/json_codec.h"
#include "common/sha256.h"

namespace poolha::access {
namespace {

constexpr TimeMs kT0 = 1'780'000'000'000;  // 2026-05-28, wall-clock ms
constexpr TimeMs kMin = 60'000;

std::string key(char c) { return std::string(64, c); }
std::string sid(int i) { return sha256_hex("session " + std::to_string(i)); }

Actor by(const std::string& account, TimeMs at, std::vector<std::string> roles = {}) {
  return Actor{.account = account, .roles = std::move(roles), .source = "198.18.0.9", .at_ms = at};
}

Bootstrap three_admins() {
  return Bootstrap{{{"sys", "系统管理员", {"sysadmin"}, "h1"},
                    {"sec", "安全管理员", {"secadmin"}, "h2"},
                    {"aud", "审计管理员", {"auditadmin"}, "h3"},
                    {"ops", "", {"operator"}, "h4"}},
                   key('a')};
}

AccessControl bootstrapped() {
  AccessControl ac;
  auto r = ac.apply(three_admins(), by("admin", kT0));
  EXPECT_TRUE(r.status.ok()) << r.status.error();
  return ac;
}

TEST(AccessRoles, NoRoleCarriesEveryPermissionAndAdministratorsAreSeparate) {
  for (Role r : kAllRoles) {
    EXPECT_LT(permissions_of(r).size(), std::size(kAllPermissions)) << to_string(r);
    EXPECT_TRUE(permissions_of(r).count(Permission::Self)) << to_string(r);
  }
  // The audit administrator reads the audit trail and nothing else.
  EXPECT_EQ(permissions_of(Role::AuditAdmin), (std::set<Permission>{Permission::Self, Permission::Audit}));
  // Only the audit administrator reads the audit trail; only the security
  // administrator manages accounts; only the operator operates.
  for (Role r : kAllRoles) {
    EXPECT_EQ(may({r}, Permission::Audit), r == Role::AuditAdmin) << to_string(r);
    EXPECT_EQ(may({r}, Permission::Accounts), r == Role::SecurityAdmin) << to_string(r);
    EXPECT_EQ(may({r}, Permission::Operate), r == Role::Operator) << to_string(r);
    EXPECT_EQ(may({r}, Permission::Configure), r == Role::SystemAdmin) << to_string(r);
  }
  EXPECT_TRUE(check_roles({Role::SystemAdmin, Role::Operator}).ok());
  EXPECT_FALSE(check_roles({Role::SystemAdmin, Role::SecurityAdmin}).ok());
  EXPECT_FALSE(check_roles({Role::SecurityAdmin, Role::AuditAdmin, Role::Viewer}).ok());
  EXPECT_FALSE(check_roles({}).ok());
  EXPECT_FALSE(parse_roles({"root"}).ok());
}

TEST(AccessPolicy, PasswordRules) {
  Policy p;
  EXPECT_TRUE(password_problems(p, "alice", "Correct-Horse-7").empty());
  EXPECT_EQ(password_problems(p, "alice", "Sh0rt!").size(), 1u);
  EXPECT_EQ(password_problems(p, "alice", "alllowercaseletters").size(), 1u);       // one class of three
  EXPECT_EQ(password_problems(p, "alice", "xxALICE-2026xx").size(), 1u);            // contains the name
  // Length counts characters: six Chinese characters are six, not eighteen.
  EXPECT_FALSE(password_problems(p, "alice", "密码密码密码A1").empty());
  EXPECT_TRUE(password_problems(p, "alice", "安全的密码是很长很长的A1").empty());
  EXPECT_FALSE(password_problems(p, "alice", std::string("Abc1\xff\xfe", 6) + "xxxxxxxxx").empty());  // not UTF-8
  EXPECT_FALSE(password_problems(p, "alice", std::string(300, 'A') + "a1").empty());
  p.min_length = 7;
  EXPECT_FALSE(validate(p).ok());
  EXPECT_TRUE(validate(Policy{}).ok());
}

TEST(AccessControlTest, BootstrapNeedsAllThreeAdministratorsAndOnlyOnce) {
  AccessControl ac;
  Bootstrap two = three_admins();
  two.accounts.erase(two.accounts.begin() + 2);  // no audit administrator
  auto r = ac.apply(two, by("admin", kT0));
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.error().find("auditadmin"), std::string::npos) << r.status.error();
  EXPECT_FALSE(ac.bootstrapped());
  ASSERT_EQ(r.records.size(), 1u);  // the refusal is recorded
  EXPECT_EQ(r.records[0].result.rfind("refused", 0), 0u);

  Bootstrap doubled = three_admins();
  doubled.accounts[0].roles = {"sysadmin", "secadmin"};
  EXPECT_FALSE(ac.apply(doubled, by("admin", kT0)).status.ok());

  ASSERT_TRUE(ac.apply(three_admins(), by("admin", kT0)).status.ok());
  EXPECT_TRUE(ac.account("sys")->must_change);
  EXPECT_FALSE(ac.apply(three_admins(), by("admin", kT0)).status.ok());
  EXPECT_EQ(ac.state().accounts.size(), 4u);
}

TEST(AccessControlTest, ConsecutiveFailuresLockTheAccountForThePolicysMinutes) {
  AccessControl ac = bootstrapped();
  const Policy& p = ac.state().policy;
  for (int i = 1; i < p.lockout_failures; ++i) {
    auto r = ac.apply(LoginFailed{"ops", "198.18.0.9", "password"}, by("ops", kT0 + i));
    ASSERT_EQ(r.records.size(), 1u);
    EXPECT_EQ(r.records[0].result, "failed: password");
  }
  EXPECT_FALSE(ac.locked(*ac.account("ops"), kT0 + 10));
  auto r = ac.apply(LoginFailed{"ops", "198.18.0.9", "password"}, by("ops", kT0 + 10));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].action, "access.lockout");
  EXPECT_TRUE(ac.locked(*ac.account("ops"), kT0 + 10));
  // A correct password while locked: refused when it applies, and recorded.
  auto login = ac.apply(LoginSucceeded{"ops", sid(1), "198.18.0.9"}, by("ops", kT0 + kMin));
  EXPECT_FALSE(login.status.ok());
  EXPECT_TRUE(ac.state().sessions.empty());
  // The lock ends by itself, or by the security administrator's unlock.
  EXPECT_FALSE(ac.locked(*ac.account("ops"), kT0 + 10 + p.lockout_minutes * kMin));
  ASSERT_TRUE(ac.apply(Unlock{"ops"}, by("sec", kT0 + 2 * kMin, {"secadmin"})).status.ok());
  EXPECT_TRUE(ac.apply(LoginSucceeded{"ops", sid(1), "198.18.0.9"}, by("ops", kT0 + 3 * kMin)).status.ok());
  EXPECT_EQ(ac.account("ops")->last_login_from, "198.18.0.9");
  // Failures for names that are no account are recorded and change nothing.
  const auto before = ac.state().accounts;
  EXPECT_TRUE(ac.apply(LoginFailed{"nobody", "198.18.0.9", "unknown account"}, by("nobody", kT0)).status.ok());
  EXPECT_EQ(ac.state().accounts.size(), before.size());
}

TEST(AccessControlTest, TheLastHolderOfAnAdministratorRoleCannotGo) {
  AccessControl ac = bootstrapped();
  const Actor sec = by("sec", kT0 + 1, {"secadmin"});
  EXPECT_FALSE(ac.apply(DeleteAccount{"sec"}, sec).status.ok());
  EXPECT_FALSE(ac.apply(UpdateAccount{"aud", "", {"auditadmin"}, true}, sec).status.ok());  // disable
  EXPECT_FALSE(ac.apply(UpdateAccount{"sys", "", {"operator"}}, sec).status.ok());         // demote
  ASSERT_TRUE(ac.apply(CreateAccount{{"sec2", "", {"secadmin"}, "h"}}, sec).status.ok());
  EXPECT_TRUE(ac.apply(DeleteAccount{"sec"}, sec).status.ok());
  // Two administrator roles on one account: refused on update too.
  EXPECT_FALSE(ac.apply(UpdateAccount{"sys", "", {"sysadmin", "auditadmin"}}, sec).status.ok());
  EXPECT_EQ(ac.roles_of("sys"), (Roles{Role::SystemAdmin}));
}

TEST(AccessControlTest, SessionsEndWithTheirAccountTheirLimitAndANewKey) {
  AccessControl ac = bootstrapped();
  const Actor sec = by("sec", kT0, {"secadmin"});
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(ac.apply(LoginSucceeded{"ops", sid(i), "198.18.0.9"}, by("ops", kT0 + i)).status.ok());
  EXPECT_EQ(ac.state().sessions.size(), kMaxSessionsPerAccount);  // the oldest two went
  EXPECT_EQ(ac.session(sid(0)), nullptr);
  EXPECT_NE(ac.session(sid(9)), nullptr);
  // The same id twice is refused (ids are drawn at random by the leader).
  EXPECT_FALSE(ac.apply(LoginSucceeded{"ops", sid(9), "198.18.0.9"}, by("ops", kT0 + 20)).status.ok());
  // Past the session lifetime a session is expired and makes room.
  EXPECT_TRUE(ac.session_expired(*ac.session(sid(9)), kT0 + ac.state().policy.session_hours * 60 * kMin + 10));
  ASSERT_TRUE(ac.apply(LoginSucceeded{"sys", sid(20), "198.18.0.8"}, by("sys", kT0 + 30)).status.ok());
  // A reset password ends the account's sessions; so does disabling it.
  ASSERT_TRUE(ac.apply(SetPassword{"ops", "new", true}, sec).status.ok());
  EXPECT_EQ(ac.state().sessions.size(), 1u);
  ASSERT_TRUE(ac.apply(RotateSessionKey{key('b')}, sec).status.ok());
  EXPECT_TRUE(ac.state().sessions.empty());
  EXPECT_EQ(ac.state().session_key, key('b'));
}

TEST(AccessControlTest, EveryChangeIsOneChainedRecordWithItsActor) {
  AccessControl ac = bootstrapped();
  Actor op = by("ops", kT0 + 5, {"operator"});
  op.reason = "月末切换演练";
  op.ticket = "CHG-2026-0042";
  AuditRecord r = ac.record(op, "switchover", "rule gw1", "ok");
  EXPECT_EQ(r.seq, 2u);  // after the bootstrap's
  EXPECT_EQ(r.reason, "月末切换演练");
  EXPECT_EQ(r.roles, "operator");
  EXPECT_EQ(ac.state().audit.seq, 2u);
  EXPECT_EQ(ac.state().audit.hash, r.hash);
  EXPECT_EQ(r.hash, record_hash(r));
}

std::vector<AuditRecord> chain(int n) {
  AuditHead head;
  std::vector<AuditRecord> out;
  for (int i = 0; i < n; ++i)
    out.push_back(seal(head, {.at_ms = kT0 + i, .account = "ops", .action = "switchover",
                              .target = "rule gw" + std::to_string(i), .result = "ok"}));
  return out;
}

TEST(AuditChain, AChangedRemovedOrReorderedRecordIsNamed) {
  auto good = chain(6);
  const AuditHead head{6, good.back().hash};
  EXPECT_TRUE(verify_chain(good, "", head).ok);
  EXPECT_EQ(verify_chain(good, "", head).checked, 6u);

  auto changed = good;
  changed[2].result = "refused";  // record 3 edited on disk
  auto c = verify_chain(changed, "", head);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_bad_seq, 3u);
  printf("changed: record %llu: %s\n", static_cast<unsigned long long>(c.first_bad_seq), c.problem.c_str());

  auto removed = good;
  removed.erase(removed.begin() + 3);  // record 4 deleted
  c = verify_chain(removed, "", head);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_bad_seq, 5u);
  printf("removed: record %llu: %s\n", static_cast<unsigned long long>(c.first_bad_seq), c.problem.c_str());

  auto reordered = good;
  std::swap(reordered[1], reordered[4]);
  c = verify_chain(reordered, "", head);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_bad_seq, 5u);  // found where record 2 should be

  // Rewritten from record 4 on, hashes recomputed: the chain is whole, but its end is
  // not the head every member agrees on.
  auto rewritten = good;
  AuditHead forged{3, rewritten[2].hash};
  rewritten.resize(3);
  for (int i = 3; i < 6; ++i) rewritten.push_back(seal(forged, {.account = "mallory", .action = "switchover"}));
  EXPECT_TRUE(verify_chain(rewritten, "").ok);
  c = verify_chain(rewritten, "", head);
  EXPECT_FALSE(c.ok);
  printf("rewritten tail: %s\n", c.problem.c_str());

  // The last record cut off: found against the head.
  auto truncated = good;
  truncated.pop_back();
  c = verify_chain(truncated, "", head);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_bad_seq, 6u);
}

TEST(AuditChain, CsvQuotesAndDefusesFormulas) {
  AuditHead head;
  auto r = seal(head, {.account = "=HYPERLINK(\"http://x\")", .action = "access.login_failed", .detail = "a,b\nc"});
  const std::string line = csv_line(r);
  EXPECT_NE(line.find("\"'=HYPERLINK(\"\"http://x\"\")\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"a,b\nc\""), std::string::npos) << line;
  EXPECT_EQ(csv_header().rfind("\xEF\xBB\xBF", 0), 0u);
}

TEST(AccessControlTest, AnEnrolmentTokenEnrolsItsNodeOnceBeforeItExpires) {
  AccessControl ac = bootstrapped();
  const std::string t1 = sha256_hex("token 1"), t2 = sha256_hex("token 2");
  ASSERT_TRUE(ac.apply(MintEnrolToken{t1, "h5", kT0 + 60 * kMin}, by("sys", kT0)).status.ok());
  ASSERT_TRUE(ac.apply(MintEnrolToken{t2, "h6", kT0 + 60 * kMin}, by("sys", kT0)).status.ok());
  // Refused mints: a hash twice, no hash, a bad name, already expired.
  EXPECT_FALSE(ac.apply(MintEnrolToken{t1, "h5", kT0 + 60 * kMin}, by("sys", kT0)).status.ok());
  EXPECT_FALSE(ac.apply(MintEnrolToken{"abc", "h5", kT0 + 60 * kMin}, by("sys", kT0)).status.ok());
  EXPECT_FALSE(ac.apply(MintEnrolToken{sha256_hex("3"), "h/5", kT0 + 60 * kMin}, by("sys", kT0)).status.ok());
  EXPECT_FALSE(ac.apply(MintEnrolToken{sha256_hex("3"), "h5", kT0}, by("sys", kT0)).status.ok());

  auto why = [&](const std::string& hash, const std::string& node, TimeMs at) {
    auto r = ac.apply(SpendEnrolToken{hash, node}, by("enrolment", at));
    return r.status.ok() ? std::string("ok") : r.status.error();
  };
  EXPECT_NE(why(sha256_hex("never minted"), "h5", kT0 + kMin).find("unknown"), std::string::npos);
  EXPECT_NE(why(t1, "h6", kT0 + kMin).find("another node"), std::string::npos);
  EXPECT_EQ(why(t1, "h5", kT0 + kMin), "ok");
  EXPECT_NE(why(t1, "h5", kT0 + 2 * kMin).find("already used"), std::string::npos);
  EXPECT_NE(why(t2, "h6", kT0 + 61 * kMin).find("expired"), std::string::npos);
  EXPECT_EQ(ac.state().enrol_tokens.at(t1).used_ms, kT0 + kMin);
  EXPECT_EQ(ac.state().enrol_tokens.at(t2).used_ms, 0);

  // A day after they expired or were spent, the next mint drops them.
  const TimeMs later = kT0 + 61 * kMin + kEnrolTokenKeptMs;
  ASSERT_TRUE(ac.apply(MintEnrolToken{sha256_hex("3"), "h7", later + 60 * kMin}, by("sys", later)).status.ok());
  EXPECT_EQ(ac.state().enrol_tokens.size(), 1u);
  EXPECT_EQ(ac.state().enrol_tokens.count(sha256_hex("3")), 1u);

  // At most kMaxEnrolTokens outstanding.
  for (size_t i = 1; i < kMaxEnrolTokens; ++i)
    ASSERT_TRUE(ac.apply(MintEnrolToken{sha256_hex("bulk " + std::to_string(i)), "h8", later + 60 * kMin},
                         by("sys", later)).status.ok());
  EXPECT_FALSE(ac.apply(MintEnrolToken{sha256_hex("one more"), "h8", later + 60 * kMin}, by("sys", later)).status.ok());
}

TEST(AccessCodec, StateAndChangesRoundTripAndRefuseUnknownFields) {
  AccessControl ac = bootstrapped();
  ASSERT_TRUE(ac.apply(LoginSucceeded{"ops", sid(1), "198.18.0.9"}, by("ops", kT0 + 1)).status.ok());
  ASSERT_TRUE(ac.apply(MintEnrolToken{sha256_hex("t"), "h5", kT0 + kMin}, by("sys", kT0 + 1)).status.ok());
  auto back = state_from_json(to_json(ac.state()));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(to_json(*back), to_json(ac.state()));
  Json bad = to_json(ac.state());
  bad["accounts"]["ops"]["superuser"] = true;
  EXPECT_FALSE(state_from_json(bad).ok());
  Json bad_token = to_json(ac.state());
  bad_token["enrol_tokens"][sha256_hex("t")]["node"] = 5;
  EXPECT_FALSE(state_from_json(bad_token).ok());

  for (const Change& c : std::vector<Change>{three_admins(), CreateAccount{{"x", "", {"viewer"}, "h"}},
                                             SetPolicy{Policy{}}, EndSession{sid(1), "logout"},
                                             MintEnrolToken{sha256_hex("t"), "h5", kT0}, SpendEnrolToken{sha256_hex("t"), "h5"},
                                             Note{"access.denied", "rule gw1", "denied", "POST /v1/rules/gw1/switchover"}}) {
    auto d = change_from_json(to_json(c));
    ASSERT_TRUE(d.ok()) << d.error();
    EXPECT_EQ(to_json(*d), to_json(c));
  }
  Json extra = to_json(Change(Unlock{"ops"}));
  extra["now"] = 1;
  EXPECT_FALSE(change_from_json(extra).ok());
  Json role = to_json(Change(CreateAccount{{"x", "", {"viewer"}, "h"}}));
  role["account"]["roles"] = Json::array({1});
  EXPECT_FALSE(change_from_json(role).ok());
}

}  // namespace
}  // namespace poolha::access
