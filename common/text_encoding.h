// Legacy encodings that text may arrive in, decoded to UTF-8 where the source says so
// (issue 9): a log_pattern monitor's `encoding: gbk`, the agent's
// `script_output_encoding: gbk` (Chinese Windows consoles and many Chinese Linux
// applications still write GBK). The result is always valid UTF-8: bytes that are not
// valid in the named encoding become U+FFFD.
//
// The decoder is the platform's (glibc iconv here; Windows' MultiByteToWideChar with
// code page 936 in the Windows port), behind this one declaration.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace poolha::text {

enum class Encoding { Utf8, Gbk };

// "utf-8" / "utf8" / "gbk" / "gb2312" / "gb18030" / "cp936" (any case); nullopt otherwise.
std::optional<Encoding> parse_encoding(std::string_view name);
const char* to_string(Encoding e);

// `bytes` in `from`, as valid UTF-8 (Utf8: sanitize_utf8).
std::string decode_to_utf8(std::string_view bytes, Encoding from);

}  // namespace poolha::text
