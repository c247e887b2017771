// Wall-clock times as text, one spelling everywhere: "2026-12-01T02:45:42.988Z" (UTC).
#pragma once
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace poolha {

inline std::string iso8601_utc(int64_t ms_since_epoch) {
  std::time_t secs = static_cast<std::time_t>(ms_since_epoch / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms_since_epoch % 1000));
  return out;
}

}  // namespace poolha
