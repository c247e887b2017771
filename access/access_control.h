// The access state machine: applies committed changes (changes.h) to the replicated
// access state (model.h) and turns each into audit records, chained (audit.h). Pure:
// no clock (times come in the Actor the leader stamped), no randomness (ids, keys and
// hashes come in the change), no I/O; every member applying the same entries holds the
// same accounts, sessions and chain head. The rules it keeps:
//   - bootstrap only while no account exists, and it must name all three administrators;
//   - one account holds at most one administrator role, and each administrator role
//     stays held by an enabled account (nobody can remove the last security
//     administrator, and with it the way back);
//   - consecutive failures lock an account for the policy's minutes;
//   - a disabled, deleted or reset account's sessions end; a new key ends every session;
//   - an enrolment token enrols one node name, once, before it expires.
#pragma once
#include <string>
#include <vector>

#include "access/audit.h"
#include "access/changes.h"
#include "access/model.h"

namespace poolha::access {

class AccessControl {
 public:
  AccessControl() = default;
  explicit AccessControl(State s) : s_(std::move(s)) {}

  struct Applied {
    Status status = Status::Ok();  // refused: the state is unchanged (the refusal is still recorded)
    std::vector<AuditRecord> records;
  };
  Applied apply(const Change& c, const Actor& by);
  // The record of a change outside this state (an engine command: a switchover, a
  // rule edited) made by `by`: chained like the rest.
  AuditRecord record(const Actor& by, std::string action, std::string target, std::string result,
                     std::string detail = "");

  const State& state() const { return s_; }
  // Before bootstrap there are no accounts: operator certificates act without roles
  // (the state of every cluster made before accounts existed); see docs/webui.md.
  bool bootstrapped() const { return !s_.accounts.empty(); }
  const Account* account(const std::string& name) const;
  const Session* session(const std::string& id_hash) const;
  bool locked(const Account& a, TimeMs now) const { return a.locked_until_ms > now; }
  bool password_expired(const Account& a, TimeMs now) const;
  // Past the policy's session lifetime (idle time is the serving member's to track).
  bool session_expired(const Session& s, TimeMs now) const;
  // Roles an account holds now, or none (unknown or disabled account).
  Roles roles_of(const std::string& name) const;
  // Whether the token with SHA-256 `hash` may enrol `node` at `now`, or why not
  // (unknown, used, expired, minted for another name). The enrolment port asks this
  // before it proposes a spend, so a guessed token costs no log entry.
  Status check_enrol_token(const std::string& hash, const std::string& node, TimeMs now) const;

 private:
  Status apply_one(const Change& c, const Actor& by, std::vector<AuditRecord>& extra);
  Status check_new_account(const NewAccount& a) const;
  Status keeps_every_admin_role(const std::map<std::string, Account>& after) const;
  void end_sessions_of(const std::string& account);
  void evict_for(const std::string& account, TimeMs now);

  State s_;
};

// Decodes role names ("operator") with the error naming the unknown one.
Expected<Roles> parse_roles(const std::vector<std::string>& names);
// What the audit trail names as the target of a change ("account alice").
std::string change_target(const Change& c, const State& s);

}  // namespace poolha::access
