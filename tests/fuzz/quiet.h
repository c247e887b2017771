// The daemons log through spdlog; a fuzzer runs millions of inputs and must not write a
// line for each. Call from LLVMFuzzerTestOneInput; the first call silences logging.
#pragma once
#include <spdlog/spdlog.h>

namespace poolha::fuzz {

inline void quiet_logs() {
  static const bool once = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)once;
}

}  // namespace poolha::fuzz
