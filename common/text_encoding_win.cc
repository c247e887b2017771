// decode_to_utf8 on Windows: MultiByteToWideChar with code page 54936 (GB18030, a
// superset of GBK and GB2312; 936 where a system lacks it). Like iconv on Linux, a
// byte that starts no valid sequence becomes one U+FFFD and decoding goes on after it.
#include <windows.h>

#include "common/text_encoding.h"
#include "common/utf8.h"
#include "common/windows/wide.h"

namespace poolha::text {

namespace {

// Length of the GB18030 sequence at the start of `s` by its byte structure, 0 if none.
size_t gb18030_length(std::string_view s) {
  auto in = [](unsigned char c, int lo, int hi) { return c >= lo && c <= hi; };
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return 1;
  if (!in(b0, 0x81, 0xFE) || s.size() < 2) return 0;
  const auto b1 = static_cast<unsigned char>(s[1]);
  if (in(b1, 0x40, 0x7E) || in(b1, 0x80, 0xFE)) return 2;
  if (in(b1, 0x30, 0x39) && s.size() >= 4 && in(static_cast<unsigned char>(s[2]), 0x81, 0xFE) &&
      in(static_cast<unsigned char>(s[3]), 0x30, 0x39))
    return 4;
  return 0;
}

UINT gbk_code_page() {
  static const UINT cp = IsValidCodePage(54936) ? 54936 : 936;
  return cp;
}

bool convert(std::string_view bytes, std::wstring& out) {
  const int n = MultiByteToWideChar(gbk_code_page(), MB_ERR_INVALID_CHARS, bytes.data(), static_cast<int>(bytes.size()),
                                    nullptr, 0);
  if (n <= 0) return false;
  const size_t at = out.size();
  out.resize(at + static_cast<size_t>(n));
  MultiByteToWideChar(gbk_code_page(), MB_ERR_INVALID_CHARS, bytes.data(), static_cast<int>(bytes.size()), out.data() + at,
                      n);
  return true;
}

// The OEM code page, which a console program writes in unless it changes it.
std::string console_to_utf8(std::string_view bytes) {
  if (bytes.empty()) return {};
  const int n = MultiByteToWideChar(CP_OEMCP, 0, bytes.data(), static_cast<int>(bytes.size()), nullptr, 0);
  std::wstring wide(static_cast<size_t>(n > 0 ? n : 0), L'\0');
  if (n > 0) MultiByteToWideChar(CP_OEMCP, 0, bytes.data(), static_cast<int>(bytes.size()), wide.data(), n);
  return sanitize_utf8(win::narrow(wide));
}

}  // namespace

std::string decode_to_utf8(std::string_view bytes, Encoding from) {
  if (from == Encoding::Utf8) return sanitize_utf8(bytes);
  if (from == Encoding::Utf16le) return utf16le_to_utf8(bytes);
  if (from == Encoding::Console) return console_to_utf8(bytes);
  std::wstring wide;
  wide.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    size_t j = i;  // [i, j): whole sequences by structure
    for (size_t len; j < bytes.size() && (len = gb18030_length(bytes.substr(j))) != 0;) j += len;
    if (j > i && !convert(bytes.substr(i, j - i), wide)) {
      // A run with an unassigned sequence in it: one sequence at a time.
      for (size_t k = i; k < j;) {
        const size_t len = gb18030_length(bytes.substr(k));
        if (!convert(bytes.substr(k, len), wide)) wide += L'\xFFFD';
        k += len;
      }
    }
    if (j < bytes.size()) {
      wide += L'\xFFFD';
      ++j;
    }
    i = j;
  }
  return sanitize_utf8(win::narrow(wide));
}

}  // namespace poolha::text
