// The changes to the access state that go through the replicated log, and who made
// each one (Actor, carried by every operator's log entry, engine commands too: the
// audit trail records it). The shell checks permissions and passwords, hashes, and
// draws the random session ids and keys; these carry only the results, so applying
// them is deterministic on every member.
#pragma once
#include <string>
#include <variant>
#include <vector>

#include "access/model.h"

namespace poolha::access {

struct Actor {
  std::string account;  // the signed-in account or the certificate's CN; "system" for the controller itself
  std::vector<std::string> roles;  // as held when the request was made
  std::string source;   // client address, or the member's name for the controller's own changes
  std::string reason;   // the operator's reason (console: mandatory for operations)
  std::string ticket;   // change ticket (变更单号), optional
  TimeMs at_ms = 0;     // the leader's wall clock when it proposed
};

struct NewAccount {
  std::string name;
  std::string display_name;
  std::vector<std::string> roles;
  std::string password_hash;
};

// First start: the three administrators (and any other accounts), the session key.
// Only while no account exists.
struct Bootstrap {
  std::vector<NewAccount> accounts;
  std::string session_key;
};
struct CreateAccount { NewAccount account; };
struct UpdateAccount {
  std::string name;
  std::string display_name;
  std::vector<std::string> roles;
  bool disabled = false;
};
struct DeleteAccount { std::string name; };
// A password change by its owner (must_change false) or a reset by the security
// administrator (a one-time password: must_change true). Also unlocks.
struct SetPassword {
  std::string name;
  std::string password_hash;
  bool must_change = false;
};
struct Unlock { std::string name; };
struct SetPolicy { Policy policy; };
struct LoginSucceeded {
  std::string name;
  std::string session;  // id_hash
  std::string source;
};
struct LoginFailed {
  std::string name;  // as typed (cleaned); may name no account
  std::string source;
  std::string reason;  // "password", "locked", "disabled", "unknown account"
};
struct EndSession {
  std::string session;  // id_hash
  std::string reason;   // "logout", "idle", "expired", "ended by <account>"
};
// A new session key; every session ends (their CSRF tokens no longer verify).
struct RotateSessionKey { std::string session_key; };
// An enrolment token minted by an operator (the shell drew it; only its hash is here).
struct MintEnrolToken {
  std::string hash;  // SHA-256 of the token, hex
  std::string node;
  TimeMs expires_ms = 0;
};
// The enrolment port spends a token for `node` (by.at_ms is when).
struct SpendEnrolToken {
  std::string hash;
  std::string node;
};
// An audit record with no state change: a permission denial, an export.
struct Note {
  std::string action;
  std::string target;
  std::string result;
  std::string detail;
};

using Change = std::variant<Bootstrap, CreateAccount, UpdateAccount, DeleteAccount, SetPassword, Unlock, SetPolicy,
                            LoginSucceeded, LoginFailed, EndSession, RotateSessionKey, MintEnrolToken,
                            SpendEnrolToken, Note>;

// "access.login", ...: the log's type tag and the audit trail's action name.
const char* change_name(const Change& c);

}  // namespace poolha::access
