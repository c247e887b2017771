// Legacy encodings that text may arrive in, decoded to UTF-8 where the source says so
// (issue 9): a log_pattern monitor's `encoding: gbk` or `utf-16` (what many Windows
// services write), the agent's `script_output_encoding` (Chinese Windows consoles and
// many Chinese Linux applications still write GBK). The result is always valid UTF-8:
// bytes that are not valid in the named encoding become U+FFFD.
//
// The GBK decoder is the platform's (glibc iconv; Windows' MultiByteToWideChar with code
// page 54936/936), behind this one declaration; UTF-16 needs neither.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace poolha::text {

// Console: what a script's console writes on this host: UTF-8 on Linux, the OEM code
// page on Windows (936, GBK, on Chinese Windows; 437 on US English).
enum class Encoding { Utf8, Gbk, Utf16le, Console };

// "utf-8" / "utf8" / "gbk" / "gb2312" / "gb18030" / "cp936" / "utf-16" / "utf-16le" /
// "console" (any case); nullopt otherwise.
std::optional<Encoding> parse_encoding(std::string_view name);
const char* to_string(Encoding e);

// `bytes` in `from`, as valid UTF-8 (Utf8: sanitize_utf8).
std::string decode_to_utf8(std::string_view bytes, Encoding from);

// UTF-16 little-endian to UTF-8; an unpaired surrogate or an odd last byte becomes
// U+FFFD. (Both platforms' decode_to_utf8 use it.)
std::string utf16le_to_utf8(std::string_view bytes);

}  // namespace poolha::text
