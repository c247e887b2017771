// Operators' files, read by the daemons at start and by check-config: agent.yaml,
// arbiter.yaml, controller.yaml (the first byte picks which). Bad input is an error
// naming the file; nothing crashes, nothing hangs (aliases, depth, size are bounded).
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/config.h"
#include "arbiter/config.h"
#include "controller/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolha;
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: (void)agent::parse_config(text, "agent.yaml"); break;
    case 1: (void)arbiter::parse_config(text, "arbiter.yaml"); break;
    case 2: (void)controller::parse_controller_config(text, "controller.yaml"); break;
  }
  return 0;
}
