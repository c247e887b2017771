// Who is calling the API: an operator certificate (poolhactl) maps to the account of
// its CN; a browser presents the session cookie it got at sign-in. Sessions live in
// the replicated access state (so any controller accepts them after a failover);
// idle time is this member's to measure (it restarts after a failover). Also the CSRF
// check of cookie-authenticated changes and the per-address sign-in throttle.
#pragma once
#include <deque>
#include <map>
#include <string>

#include "controller/api_types.h"
#include "controller_core/controller_core.h"

namespace poolha::controller {

struct Caller {
  enum class Kind { Anonymous, Certificate, Session } kind = Kind::Anonymous;
  std::string account;
  access::Roles roles;
  std::string session;  // the id hash (Session only)
  // The account must choose a new password first (one-time or expired password):
  // only its own routes (access::Permission::Self) are open.
  bool password_change_required = false;
  std::string refusal;  // why a presented cookie did not count (expired, idle, ended)
};

class ApiAuth {
 public:
  static constexpr const char* kCookie = "poolha_session";

  explicit ApiAuth(ControllerCore& core) : core_(core) {}

  // Identifies the caller. A session idle past the policy, or past its lifetime, ends
  // here (proposed to the log, so the audit trail shows it) and does not count.
  Caller identify(const ApiRequest& r);
  // The CSRF token of a session: an HMAC under the replicated session key, so every
  // controller checks it the same way.
  std::string csrf_token(const std::string& session_hash) const;
  // A change (not GET) made with a cookie must carry the session's CSRF token.
  bool csrf_ok(const Caller& c, const ApiRequest& r) const;
  // Sign-in throttle per source address (policy.source_failures within
  // policy.source_window_minutes), on this member.
  bool source_blocked(const std::string& source, int64_t local_ms);
  void note_failure(const std::string& source, int64_t local_ms);
  // A session that just began (it is not idle) or ended.
  void touch(const std::string& session_hash, int64_t local_ms) { last_seen_[session_hash] = local_ms; }
  void forget(const std::string& session_hash) { last_seen_.erase(session_hash); }
  // Seconds since the session's last request here (-1: not seen by this member).
  int64_t idle_seconds(const std::string& session_hash, int64_t local_ms) const;
  // Idle longer than the policy allows (no request since).
  bool idle_past_policy(const std::string& session_hash, int64_t local_ms) const;
  // Ends a session through the log (audited as access.end_session with `reason`).
  void end(const std::string& session_hash, const std::string& reason, const std::string& source, int64_t wall_ms);

  // The session cookie's value from a Cookie header ("" if none or malformed).
  static std::string session_from_cookie(const std::string& header);

 private:
  ControllerCore& core_;
  std::map<std::string, int64_t> last_seen_;
  std::map<std::string, std::deque<int64_t>> failures_;
};

}  // namespace poolha::controller
