#include "access/access_control.h"

#include <algorithm>

#include "common/ids.h"
#include "common/utf8.h"

namespace poolha::access {

namespace {

constexpr TimeMs kMinute = 60'000;

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

bool is_hex(const std::string& s, size_t len) {
  return s.size() == len && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

const char* change_name(const Change& c) {
  return std::visit(Overloaded{
                        [](const Bootstrap&) { return "access.bootstrap"; },
                        [](const CreateAccount&) { return "access.create_account"; },
                        [](const UpdateAccount&) { return "access.update_account"; },
                        [](const DeleteAccount&) { return "access.delete_account"; },
                        [](const SetPassword&) { return "access.set_password"; },
                        [](const Unlock&) { return "access.unlock"; },
                        [](const SetPolicy&) { return "access.set_policy"; },
                        [](const LoginSucceeded&) { return "access.login"; },
                        [](const LoginFailed&) { return "access.login_failed"; },
                        [](const EndSession&) { return "access.end_session"; },
                        [](const RotateSessionKey&) { return "access.rotate_session_key"; },
                        [](const MintEnrolToken&) { return "access.mint_enrol_token"; },
                        [](const SpendEnrolToken&) { return "access.spend_enrol_token"; },
                        [](const Note&) { return "access.note"; },
                    },
                    c);
}

Expected<Roles> parse_roles(const std::vector<std::string>& names) {
  Roles out;
  for (const auto& n : names) {
    auto r = role_from_string(n);
    if (!r)
      return Expected<Roles>::Error("roles: unknown role '" + text::log_safe(n, 64) +
                                    "' (sysadmin, secadmin, auditadmin, operator, viewer)");
    out.insert(*r);
  }
  if (auto st = check_roles(out); !st.ok()) return st;
  return out;
}

std::string change_target(const Change& c, const State& s) {
  return std::visit(Overloaded{
                        [](const Bootstrap&) { return std::string("accounts"); },
                        [](const CreateAccount& v) { return "account " + v.account.name; },
                        [](const UpdateAccount& v) { return "account " + v.name; },
                        [](const DeleteAccount& v) { return "account " + v.name; },
                        [](const SetPassword& v) { return "account " + v.name; },
                        [](const Unlock& v) { return "account " + v.name; },
                        [](const SetPolicy&) { return std::string("policy"); },
                        [](const LoginSucceeded& v) { return "account " + v.name; },
                        [](const LoginFailed& v) { return "account " + v.name; },
                        [&s](const EndSession& v) {
                          auto it = s.sessions.find(v.session);
                          return "session " + v.session.substr(0, 12) +
                                 (it == s.sessions.end() ? "" : " of " + it->second.account);
                        },
                        [](const RotateSessionKey&) { return std::string("session key"); },
                        [](const MintEnrolToken& v) { return "node " + v.node; },
                        [](const SpendEnrolToken& v) { return "node " + v.node; },
                        [](const Note& v) { return v.target; },
                    },
                    c);
}

const Account* AccessControl::account(const std::string& name) const {
  auto it = s_.accounts.find(name);
  return it == s_.accounts.end() ? nullptr : &it->second;
}

const Session* AccessControl::session(const std::string& id_hash) const {
  auto it = s_.sessions.find(id_hash);
  return it == s_.sessions.end() ? nullptr : &it->second;
}

bool AccessControl::password_expired(const Account& a, TimeMs now) const {
  return s_.policy.expiry_days > 0 && !a.password_hash.empty() &&
         now - a.password_set_ms > s_.policy.expiry_days * 24 * 60 * kMinute;
}

bool AccessControl::session_expired(const Session& s, TimeMs now) const {
  return now - s.created_ms > s_.policy.session_hours * 60 * kMinute;
}

Roles AccessControl::roles_of(const std::string& name) const {
  const Account* a = account(name);
  return a && !a->disabled ? a->roles : Roles{};
}

Status AccessControl::check_enrol_token(const std::string& hash, const std::string& node, TimeMs now) const {
  auto it = s_.enrol_tokens.find(hash);
  if (it == s_.enrol_tokens.end())
    return Status::Error("enrolment token unknown: mint one with `poolhactl token create " + node + "`");
  const EnrolToken& t = it->second;
  if (t.used_ms) return Status::Error("enrolment token already used: mint a new one");
  if (now > t.expires_ms) return Status::Error("enrolment token expired: mint a new one");
  if (t.node != node) return Status::Error("enrolment token was minted for another node name");
  return Status::Ok();
}

AuditRecord AccessControl::record(const Actor& by, std::string action, std::string target, std::string result,
                                  std::string detail) {
  AuditRecord r;
  r.at_ms = by.at_ms;
  r.account = by.account;
  r.roles = joined(by.roles);
  r.source = by.source;
  r.action = std::move(action);
  r.target = std::move(target);
  r.reason = by.reason;
  r.ticket = by.ticket;
  r.result = std::move(result);
  r.detail = std::move(detail);
  return seal(s_.audit, std::move(r));
}

AccessControl::Applied AccessControl::apply(const Change& c, const Actor& by) {
  const std::string target = change_target(c, s_);  // before the change (a session's owner)
  std::vector<AuditRecord> extra;
  Applied out;
  out.status = apply_one(c, by, extra);
  std::string result = out.status.ok() ? "ok" : "refused: " + out.status.error();
  std::string detail;
  if (const auto* f = std::get_if<LoginFailed>(&c)) result = out.status.ok() ? "failed: " + f->reason : result;
  if (const auto* n = std::get_if<Note>(&c)) {
    result = n->result;
    detail = n->detail;
  }
  if (const auto* e = std::get_if<EndSession>(&c)) detail = e->reason;
  if (const auto* b = std::get_if<Bootstrap>(&c)) {
    for (const auto& a : b->accounts) detail += (detail.empty() ? "" : "; ") + a.name + "=" + joined(a.roles);
  }
  if (const auto* u = std::get_if<UpdateAccount>(&c))
    detail = "roles " + joined(u->roles) + (u->disabled ? ", disabled" : ", enabled");
  if (const auto* ca = std::get_if<CreateAccount>(&c)) detail = "roles " + joined(ca->account.roles);
  if (const auto* sp = std::get_if<SetPassword>(&c)) detail = sp->must_change ? "reset (one-time password)" : "changed";
  if (const auto* m = std::get_if<MintEnrolToken>(&c))
    detail = "enrolment token, valid " + std::to_string((m->expires_ms - by.at_ms) / 1000) + " s";
  if (std::holds_alternative<SpendEnrolToken>(c)) detail = "enrolment token spent (from " + by.source + ")";
  // A note is recorded under its own action ("access.denied", "audit.export").
  const auto* note = std::get_if<Note>(&c);
  out.records.push_back(record(by, note ? note->action : change_name(c), target, result, detail));
  for (auto& r : extra) out.records.push_back(record(by, r.action, r.target, r.result, r.detail));
  return out;
}

Status AccessControl::check_new_account(const NewAccount& a) const {
  if (!valid_id(a.name)) return Status::Error("name: " + std::string(kIdRule));
  if (s_.accounts.count(a.name)) return Status::Error("account '" + a.name + "' exists");
  if (!text::is_valid_utf8(a.display_name) || text::code_points(a.display_name) > kMaxDisplayNameChars)
    return Status::Error("display_name: at most " + std::to_string(kMaxDisplayNameChars) + " characters of text");
  if (auto r = parse_roles(a.roles); !r.ok()) return r.status();
  return Status::Ok();
}

Status AccessControl::keeps_every_admin_role(const std::map<std::string, Account>& after) const {
  for (Role r : {Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin}) {
    bool held = false;
    for (const auto& [n, a] : after) held = held || (!a.disabled && a.roles.count(r));
    if (!held)
      return Status::Error(std::string("no enabled account would hold the ") + to_string(r) +
                           " role; grant it to another account first");
  }
  return Status::Ok();
}

void AccessControl::end_sessions_of(const std::string& account) {
  std::erase_if(s_.sessions, [&](const auto& kv) { return kv.second.account == account; });
}

// Room for one more session of `account`: sessions past their lifetime go, then the
// account's oldest beyond its limit, then the oldest of all beyond the total.
void AccessControl::evict_for(const std::string& account, TimeMs now) {
  std::erase_if(s_.sessions, [&](const auto& kv) { return session_expired(kv.second, now); });
  auto oldest = [&](bool of_account) {
    auto best = s_.sessions.end();
    for (auto it = s_.sessions.begin(); it != s_.sessions.end(); ++it)
      if ((!of_account || it->second.account == account) &&
          (best == s_.sessions.end() || it->second.created_ms < best->second.created_ms))
        best = it;
    return best;
  };
  size_t mine = 0;
  for (const auto& [h, s] : s_.sessions) mine += s.account == account ? 1 : 0;
  for (; mine >= kMaxSessionsPerAccount; --mine) s_.sessions.erase(oldest(true));
  while (s_.sessions.size() >= kMaxSessions) s_.sessions.erase(oldest(false));
}

Status AccessControl::apply_one(const Change& c, const Actor& by, std::vector<AuditRecord>& extra) {
  const TimeMs now = by.at_ms;
  auto need = [&](const std::string& name) -> Expected<Account*> {
    auto it = s_.accounts.find(name);
    if (it == s_.accounts.end()) return Expected<Account*>::Error("no account '" + text::log_safe(name, 64) + "'");
    return &it->second;
  };
  return std::visit(
      Overloaded{
          [&](const Bootstrap& b) -> Status {
            if (bootstrapped()) return Status::Error("accounts exist already: bootstrap is for the first start only");
            if (!is_hex(b.session_key, 64)) return Status::Error("session_key: expected 64 hex digits");
            if (b.accounts.empty() || b.accounts.size() > kMaxAccounts) return Status::Error("accounts: 1..1000 expected");
            std::map<std::string, Account> made;
            for (const auto& n : b.accounts) {
              if (auto st = check_new_account(n); !st.ok()) return st;
              if (made.count(n.name)) return Status::Error("account '" + n.name + "' named twice");
              Account a{.name = n.name, .display_name = n.display_name, .roles = *parse_roles(n.roles),
                        .password_hash = n.password_hash, .password_set_ms = now, .must_change = true,
                        .created_ms = now};
              made[n.name] = std::move(a);
            }
            if (auto st = keeps_every_admin_role(made); !st.ok())
              return Status::Error("bootstrap must create all three administrators: " + st.error());
            s_.accounts = std::move(made);
            s_.session_key = b.session_key;
            return Status::Ok();
          },
          [&](const CreateAccount& ca) -> Status {
            if (!bootstrapped()) return Status::Error("no accounts yet: bootstrap first (poolhactl users bootstrap)");
            if (s_.accounts.size() >= kMaxAccounts) return Status::Error("already 1000 accounts");
            if (auto st = check_new_account(ca.account); !st.ok()) return st;
            const NewAccount& n = ca.account;
            s_.accounts[n.name] = Account{.name = n.name, .display_name = n.display_name,
                                          .roles = *parse_roles(n.roles), .password_hash = n.password_hash,
                                          .password_set_ms = now, .must_change = true, .created_ms = now};
            return Status::Ok();
          },
          [&](const UpdateAccount& u) -> Status {
            auto a = need(u.name);
            if (!a.ok()) return a.status();
            auto roles = parse_roles(u.roles);
            if (!roles.ok()) return roles.status();
            if (!text::is_valid_utf8(u.display_name) || text::code_points(u.display_name) > kMaxDisplayNameChars)
              return Status::Error("display_name: at most 64 characters of text");
            auto after = s_.accounts;
            after[u.name].roles = *roles;
            after[u.name].disabled = u.disabled;
            if (auto st = keeps_every_admin_role(after); !st.ok()) return st;
            (*a)->roles = *roles;
            (*a)->display_name = u.display_name;
            (*a)->disabled = u.disabled;
            if (u.disabled) end_sessions_of(u.name);
            return Status::Ok();
          },
          [&](const DeleteAccount& d) -> Status {
            if (auto a = need(d.name); !a.ok()) return a.status();
            auto after = s_.accounts;
            after.erase(d.name);
            if (auto st = keeps_every_admin_role(after); !st.ok()) return st;
            s_.accounts.erase(d.name);
            end_sessions_of(d.name);
            return Status::Ok();
          },
          [&](const SetPassword& p) -> Status {
            auto a = need(p.name);
            if (!a.ok()) return a.status();
            if (p.password_hash.empty()) return Status::Error("password_hash: empty");
            (*a)->password_hash = p.password_hash;
            (*a)->password_set_ms = now;
            (*a)->must_change = p.must_change;
            (*a)->failures = 0;
            (*a)->locked_until_ms = 0;
            if (p.must_change) end_sessions_of(p.name);
            return Status::Ok();
          },
          [&](const Unlock& u) -> Status {
            auto a = need(u.name);
            if (!a.ok()) return a.status();
            (*a)->failures = 0;
            (*a)->locked_until_ms = 0;
            return Status::Ok();
          },
          [&](const SetPolicy& p) -> Status {
            if (auto st = validate(p.policy); !st.ok()) return st;
            s_.policy = p.policy;
            return Status::Ok();
          },
          [&](const LoginSucceeded& l) -> Status {
            auto a = need(l.name);
            if (!a.ok()) return a.status();
            if ((*a)->disabled) return Status::Error("the account is disabled");
            if (locked(**a, now)) return Status::Error("the account is locked");
            if (!is_hex(l.session, 64) || s_.sessions.count(l.session)) return Status::Error("session: not a new id");
            evict_for(l.name, now);
            s_.sessions[l.session] = Session{l.session, l.name, l.source, now};
            (*a)->failures = 0;
            (*a)->last_login_ms = now;
            (*a)->last_login_from = l.source;
            return Status::Ok();
          },
          [&](const LoginFailed& f) -> Status {
            auto it = s_.accounts.find(f.name);
            if (it == s_.accounts.end() || f.reason != "password") return Status::Ok();
            Account& a = it->second;
            if (++a.failures >= s_.policy.lockout_failures) {
              a.failures = 0;
              a.locked_until_ms = now + s_.policy.lockout_minutes * kMinute;
              extra.push_back({.action = "access.lockout", .target = "account " + f.name, .result = "locked",
                               .detail = std::to_string(s_.policy.lockout_failures) + " failed sign-ins; locked for " +
                                         std::to_string(s_.policy.lockout_minutes) + " min"});
            }
            return Status::Ok();
          },
          [&](const EndSession& e) -> Status {
            if (!s_.sessions.erase(e.session)) return Status::Error("no such session");
            return Status::Ok();
          },
          [&](const RotateSessionKey& r) -> Status {
            if (!is_hex(r.session_key, 64)) return Status::Error("session_key: expected 64 hex digits");
            s_.session_key = r.session_key;
            s_.sessions.clear();
            return Status::Ok();
          },
          [&](const MintEnrolToken& m) -> Status {
            if (!is_hex(m.hash, 64)) return Status::Error("hash: expected 64 hex digits");
            if (!valid_id(m.node)) return Status::Error("node: " + std::string(kIdRule));
            if (m.expires_ms <= now) return Status::Error("expires_ms: already past");
            // Spent and expired tokens go after a day, so the state does not grow with
            // every enrolment.
            std::erase_if(s_.enrol_tokens, [&](const auto& kv) {
              const EnrolToken& t = kv.second;
              return std::max(t.expires_ms, t.used_ms) + kEnrolTokenKeptMs < now;
            });
            if (s_.enrol_tokens.size() >= kMaxEnrolTokens)
              return Status::Error("already " + std::to_string(kMaxEnrolTokens) + " enrolment tokens outstanding");
            if (s_.enrol_tokens.count(m.hash)) return Status::Error("hash: this token exists");
            s_.enrol_tokens[m.hash] = EnrolToken{.node = m.node, .expires_ms = m.expires_ms};
            return Status::Ok();
          },
          [&](const SpendEnrolToken& sp) -> Status {
            if (auto st = check_enrol_token(sp.hash, sp.node, now); !st.ok()) return st;
            s_.enrol_tokens[sp.hash].used_ms = std::max<TimeMs>(now, 1);
            return Status::Ok();
          },
          [&](const Note&) -> Status { return Status::Ok(); },
      },
      c);
}

}  // namespace poolha::access
