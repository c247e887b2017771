// At most one log line per interval for events an outsider can trigger at will
// (refused enrolments, refused reports): an attack must not flood the journal or
// stall the event loop on writes, yet the first occurrence is logged at once and the
// rest are counted. Pure: the caller passes its monotonic time.
#pragma once
#include <cstdint>
#include <optional>

namespace poolha {

class LogThrottle {
 public:
  explicit LogThrottle(int64_t every_ms) : every_ms_(every_ms) {}
  // nullopt: stay quiet (counted). Otherwise log now; the value is how many were
  // suppressed since the previous line.
  std::optional<uint64_t> allow(int64_t now_ms) {
    if (last_ms_ >= 0 && now_ms - last_ms_ < every_ms_) {
      ++suppressed_;
      return std::nullopt;
    }
    last_ms_ = now_ms;
    const uint64_t n = suppressed_;
    suppressed_ = 0;
    return n;
  }

 private:
  int64_t every_ms_;
  int64_t last_ms_ = -1;
  uint64_t suppressed_ = 0;
};

}  // namespace poolha
