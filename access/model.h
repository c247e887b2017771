// The replicated access state: accounts with their roles and password hashes, the
// policy, the signed-in sessions, the session key and the head of the audit chain.
// Every control-plane member holds the same copy (it is applied from the log and kept
// in snapshots), so a controller failover keeps everyone signed in and lockouts hold.
// Passwords never appear here, only argon2id hashes; sessions only as the SHA-256 of
// their secret id (a copy of the database does not let anyone into a session).
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "access/policy.h"
#include "access/roles.h"

namespace poolha::access {

using TimeMs = int64_t;  // wall-clock milliseconds since the epoch, as the leader stamped them

struct Account {
  std::string name;          // common/ids.h rule; an operator certificate with this CN acts as this account
  std::string display_name;  // free text (张三), shown in the console
  Roles roles;
  std::string password_hash;  // argon2id, libsodium's crypto_pwhash_str format; empty: no password login
  TimeMs password_set_ms = 0;
  bool must_change = true;  // one-time password: only a password change is allowed until then
  bool disabled = false;
  int64_t failures = 0;  // consecutive failed sign-ins since the last success or lockout
  TimeMs locked_until_ms = 0;
  TimeMs created_ms = 0;
  TimeMs last_login_ms = 0;
  std::string last_login_from;
};

struct Session {
  std::string id_hash;  // SHA-256 of the secret in the cookie
  std::string account;
  std::string source;  // address it signed in from
  TimeMs created_ms = 0;
};

// A one-time enrolment token (design §7): only its SHA-256 is kept. Bound to one node
// name, it expires, and its first use spends it. Replicated, so a token minted before a
// controller failover still enrols at the new active controller.
struct EnrolToken {
  std::string node;
  TimeMs expires_ms = 0;
  TimeMs used_ms = 0;  // 0: not spent
};

// The chain's last link: every member computes the same, so a record changed on one
// member's disk no longer matches the replicated head.
struct AuditHead {
  uint64_t seq = 0;
  std::string hash;  // of record `seq`; empty before the first
};

struct State {
  std::map<std::string, Account> accounts;
  Policy policy;
  std::map<std::string, Session> sessions;  // by id_hash
  std::string session_key;                  // hex; CSRF tokens are HMACs under it
  AuditHead audit;
  std::map<std::string, EnrolToken> enrol_tokens;  // by SHA-256 of the token (hex)
};

// Bounds on what the state may hold, so it fits a snapshot.
inline constexpr size_t kMaxAccounts = 1000;
inline constexpr size_t kMaxSessions = 1024;
inline constexpr size_t kMaxSessionsPerAccount = 8;
inline constexpr size_t kMaxDisplayNameChars = 64;
inline constexpr size_t kMaxEnrolTokens = 2000;
// Spent and expired tokens stay this long (for the operator who asks why one failed).
inline constexpr TimeMs kEnrolTokenKeptMs = 24 * 3600 * 1000;

}  // namespace poolha::access
