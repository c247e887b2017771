// poolhactl apply -f FILE: YAML or JSON to the body of POST /v1/apply, checked with
// the controller's own decoders (cli/apply_file.h). A body it accepts must also be
// what the controller's API decodes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/apply_file.h"
#include "common/json_text.h"
#include "common/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolha;
  auto body = cli::apply_body(std::string(reinterpret_cast<const char*>(data), size), "apply.yaml");
  if (body.ok()) {
    const std::string sent = json_text(*body);
    if (!text::is_valid_utf8(sent) || !parse_json_bounded(sent).ok()) __builtin_trap();
  }
  return 0;
}
