// The encoding names (common/text_encoding.h); the decoders are the platform's:
// text_encoding_iconv.cc (glibc) and text_encoding_win.cc (Windows).
#include "common/text_encoding.h"

#include <cctype>

namespace poolha::text {

std::optional<Encoding> parse_encoding(std::string_view name) {
  std::string n;
  for (char c : name)
    if (c != '-' && c != '_') n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "utf8") return Encoding::Utf8;
  if (n == "gbk" || n == "gb2312" || n == "gb18030" || n == "cp936") return Encoding::Gbk;
  return std::nullopt;
}

const char* to_string(Encoding e) { return e == Encoding::Gbk ? "gbk" : "utf-8"; }

}  // namespace poolha::text
