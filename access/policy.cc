#include "access/policy.h"

#include <algorithm>
#include <cctype>

#include "common/utf8.h"

namespace poolha::access {

namespace {

Status in_range(const char* field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi)
    return Status::Error(std::string("policy.") + field + ": expected " + std::to_string(lo) + ".." + std::to_string(hi) +
                         ", got " + std::to_string(v));
  return Status::Ok();
}

std::string lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Status validate(const Policy& p) {
  for (const Status& st : {in_range("min_length", p.min_length, 8, 128), in_range("min_classes", p.min_classes, 1, 4),
                           in_range("expiry_days", p.expiry_days, 0, 3650),
                           in_range("lockout_failures", p.lockout_failures, 1, 100),
                           in_range("lockout_minutes", p.lockout_minutes, 1, 1440),
                           in_range("idle_timeout_minutes", p.idle_timeout_minutes, 1, 1440),
                           in_range("session_hours", p.session_hours, 1, 168),
                           in_range("source_failures", p.source_failures, 1, 10000),
                           in_range("source_window_minutes", p.source_window_minutes, 1, 1440)})
    if (!st.ok()) return st;
  return Status::Ok();
}

std::vector<std::string> password_problems(const Policy& p, const std::string& account, const std::string& password) {
  std::vector<std::string> out;
  if (password.size() > kMaxPasswordBytes) {
    out.push_back("longer than " + std::to_string(kMaxPasswordBytes) + " bytes");
    return out;
  }
  if (!text::is_valid_utf8(password)) {
    out.push_back("not valid UTF-8 text");
    return out;
  }
  const size_t chars = text::code_points(password);
  if (static_cast<int64_t>(chars) < p.min_length)
    out.push_back("shorter than " + std::to_string(p.min_length) + " characters");
  bool lower = false, upper = false, digit = false, other = false;
  for (unsigned char c : password) {
    if (c >= 0x80) other = true;  // any non-ASCII character (Chinese, too) counts as "other"
    else if (std::islower(c)) lower = true;
    else if (std::isupper(c)) upper = true;
    else if (std::isdigit(c)) digit = true;
    else other = true;
  }
  const int classes = lower + upper + digit + other;
  if (classes < p.min_classes)
    out.push_back("uses " + std::to_string(classes) + " of the character classes (lower case, upper case, digits, "
                  "others); the policy asks for " + std::to_string(p.min_classes));
  if (!account.empty() && lower_ascii(password).find(lower_ascii(account)) != std::string::npos)
    out.push_back("contains the account name");
  return out;
}

}  // namespace poolha::access
