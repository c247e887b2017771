#include "common/utf8.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

namespace poolha::text {

namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

struct Decoded {
  size_t length = 1;  // bytes consumed (a maximal ill-formed subpart when !valid)
  bool valid = false;
  char32_t code = 0;
};

bool in(unsigned char b, unsigned char lo, unsigned char hi) { return b >= lo && b <= hi; }

// One character at s[i] (Unicode Table 3-7, well-formed byte sequences).
Decoded decode_one(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {1, true, b0};
  size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  char32_t code = 0;
  if (in(b0, 0xC2, 0xDF)) need = 1, code = b0 & 0x1F;
  else if (b0 == 0xE0) need = 2, lo = 0xA0, code = b0 & 0x0F;
  else if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) need = 2, code = b0 & 0x0F;
  else if (b0 == 0xED) need = 2, hi = 0x9F, code = b0 & 0x0F;
  else if (b0 == 0xF0) need = 3, lo = 0x90, code = b0 & 0x07;
  else if (in(b0, 0xF1, 0xF3)) need = 3, code = b0 & 0x07;
  else if (b0 == 0xF4) need = 3, hi = 0x8F, code = b0 & 0x07;
  else return {1, false, 0};  // C0, C1, F5..FF, or a stray continuation byte
  size_t len = 1;
  for (size_t k = 0; k < need; ++k, ++len) {
    if (i + len >= s.size()) return {len, false, 0};
    const auto b = static_cast<unsigned char>(s[i + len]);
    if (k == 0 ? !in(b, lo, hi) : !in(b, 0x80, 0xBF)) return {len, false, 0};
    code = (code << 6) | (b & 0x3F);
  }
  return {len, true, code};
}

// Sorted, inclusive ranges of East Asian Wide (W) and Fullwidth (F) characters, after
// Unicode 15's EastAsianWidth.txt (emoji presentation included; a few narrow
// neighbours of emoji are merged in, which only costs a column of padding).
constexpr std::array<std::pair<char32_t, char32_t>, 38> kWide{{
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},   {0x23F0, 0x23F0},
    {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},   {0x2648, 0x2653},   {0x267F, 0x267F},
    {0x2693, 0x2693},   {0x26A1, 0x26A1},   {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},
    {0x26CE, 0x26CE},   {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F5},   {0x26FA, 0x26FD},
    {0x2705, 0x2705},   {0x270A, 0x270B},   {0x2728, 0x2728},   {0x274C, 0x274E},   {0x2753, 0x2757},
    {0x2795, 0x2797},   {0x2B1B, 0x2B1C},   {0x2B50, 0x2B55},   {0x2E80, 0x303E},   {0x3041, 0x4DBF},
    {0x4E00, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},
}};

bool wide(char32_t c) {
  if (c >= 0x1F300 && c <= 0x1F64F) return true;  // pictographs, emoticons
  if (c >= 0x1F900 && c <= 0x1F9FF) return true;
  if (c >= 0x20000 && c <= 0x3FFFD) return true;  // CJK extensions B..
  auto it = std::upper_bound(kWide.begin(), kWide.end(), c,
                             [](char32_t v, const std::pair<char32_t, char32_t>& r) { return v < r.first; });
  return it != kWide.begin() && c <= std::prev(it)->second;
}

bool zero_width(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xFE20 && c <= 0xFE2F);
}

size_t width_of(char32_t c) { return zero_width(c) ? 0 : wide(c) ? 2 : 1; }

}  // namespace

size_t first_invalid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const Decoded d = decode_one(s, i);
    if (!d.valid) return i;
    i += d.length;
  }
  return std::string_view::npos;
}

bool is_valid_utf8(std::string_view s) { return first_invalid_utf8(s) == std::string_view::npos; }

std::string sanitize_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    const Decoded d = decode_one(bytes, i);
    if (d.valid) out.append(bytes.substr(i, d.length));
    else out += kReplacement;
    i += d.length;
  }
  return out;
}

std::string truncate_utf8(std::string_view s, size_t max_bytes, std::string_view marker) {
  if (s.size() <= max_bytes) return std::string(s);
  const size_t room = marker.size() <= max_bytes ? max_bytes - marker.size() : max_bytes;
  size_t cut = 0;
  for (size_t i = 0; i < s.size();) {
    const Decoded d = decode_one(s, i);
    if (i + d.length > room) break;
    i += d.length;
    cut = i;
  }
  std::string out(s.substr(0, cut));
  if (marker.size() <= max_bytes) out += marker;
  return out;
}

std::string clean_text(std::string_view bytes, size_t max_bytes, std::string_view marker) {
  return truncate_utf8(sanitize_utf8(bytes), max_bytes, marker);
}

std::string log_safe(std::string_view bytes, size_t max_bytes) {
  const std::string clean = clean_text(bytes, max_bytes);
  std::string out;
  out.reserve(clean.size());
  for (size_t i = 0; i < clean.size();) {
    const Decoded d = decode_one(clean, i);
    const char32_t c = d.code;
    // C0 and DEL, C1, and the characters that reorder or break a line when shown.
    const bool control = c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029 ||
                         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
    if (control) {
      char buf[12];
      std::snprintf(buf, sizeof buf, c <= 0xFF ? "\\x%02X" : "\\u%04X", static_cast<unsigned>(c));
      out += buf;
    } else {
      out.append(clean, i, d.length);
    }
    i += d.length;
  }
  return out;
}

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

size_t display_width(std::string_view s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    const Decoded d = decode_one(s, i);
    w += d.valid ? width_of(d.code) : 1;
    i += d.length;
  }
  return w;
}

std::string truncate_to_width(std::string_view s, size_t columns) {
  size_t w = 0, cut = 0;
  for (size_t i = 0; i < s.size();) {
    const Decoded d = decode_one(s, i);
    const size_t cw = d.valid ? width_of(d.code) : 1;
    if (w + cw > columns) break;
    w += cw;
    i += d.length;
    cut = i;
  }
  return std::string(s.substr(0, cut));
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace poolha::text
