// Frame decoding (wire/frame.h): any bytes as a length header and a body.
#include <cstddef>
#include <cstdint>

#include "wire/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolha::wire;
  if (size >= 4) {
    const std::array<unsigned char, 4> h{data[0], data[1], data[2], data[3]};
    (void)decode_length(h, kMaxPreAuthFrameBytes);
    (void)decode_length(h);
  }
  auto env = decode_body(std::string(reinterpret_cast<const char*>(data), size));
  if (env.ok()) {
    (void)body_name(*env);
    const std::string again = encode_frame(*env);
    (void)decode_body(again.substr(4));
  }
  return 0;
}
