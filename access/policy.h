// The password, lockout and session policy the security administrator sets, and the
// password rules it implies. Defaults follow common MLPS 2.0 practice (12 characters
// from 3 classes, 90-day expiry, lockout after 5 failures for 30 minutes, 15-minute
// idle timeout).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace poolha::access {

struct Policy {
  int64_t min_length = 12;            // characters (code points), 8..128
  int64_t min_classes = 3;            // of lower case, upper case, digits, others; 1..4
  int64_t expiry_days = 90;           // 0: passwords never expire; else 1..3650
  int64_t lockout_failures = 5;       // consecutive failures that lock an account, 1..100
  int64_t lockout_minutes = 30;       // 1..1440
  int64_t idle_timeout_minutes = 15;  // a session unused this long ends, 1..1440
  int64_t session_hours = 12;         // a session ends this long after sign-in, 1..168
  // Throttles on the member that checks passwords: failures per source address within
  // the window before that address waits for the window to pass.
  int64_t source_failures = 20;       // 1..10000
  int64_t source_window_minutes = 10; // 1..1440
};

// Each field in its range, naming the first that is not.
Status validate(const Policy& p);

// What is wrong with `password` for `account` under `p` (empty: nothing). Checked
// where a password is chosen, before it is hashed; the log never sees a password.
std::vector<std::string> password_problems(const Policy& p, const std::string& account, const std::string& password);

// Passwords are at most this many bytes (argon2 would take more; nobody types more).
inline constexpr size_t kMaxPasswordBytes = 256;

}  // namespace poolha::access
