// Text from outside (common/utf8, common/text_encoding): whatever the bytes, the
// result is valid UTF-8 within its cap, and cutting never splits a character.
#include <fuzzer/FuzzedDataProvider.h>

#include "common/text_encoding.h"
#include "common/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolha::text;
  FuzzedDataProvider in(data, size);
  const size_t cap = in.ConsumeIntegralInRange<size_t>(0, 512);
  const std::string bytes = in.ConsumeRemainingBytesAsString();
  const std::string clean = clean_text(bytes, cap);
  if (!is_valid_utf8(clean) || clean.size() > std::max<size_t>(cap, 3)) __builtin_trap();
  if (!is_valid_utf8(sanitize_utf8(bytes))) __builtin_trap();
  if (is_valid_utf8(bytes) && sanitize_utf8(bytes) != bytes) __builtin_trap();
  const std::string cut = truncate_utf8(sanitize_utf8(bytes), cap);
  if (!is_valid_utf8(cut) || cut.size() > cap) __builtin_trap();
  const std::string log = log_safe(bytes, cap);
  if (!is_valid_utf8(log)) __builtin_trap();
  for (char c : log)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) __builtin_trap();
  if (!is_valid_utf8(decode_to_utf8(bytes, Encoding::Gbk))) __builtin_trap();
  if (truncate_to_width(clean, cap).size() > clean.size()) __builtin_trap();
  return 0;
}
