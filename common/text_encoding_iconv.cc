// decode_to_utf8 on glibc: iconv, whose GB18030 converter reads every GBK (and
// GB2312) byte sequence. glibc ships the converter in libc6 itself.
#include <iconv.h>

#include <cerrno>

#include "common/text_encoding.h"
#include "common/utf8.h"

namespace poolha::text {

std::string decode_to_utf8(std::string_view bytes, Encoding from) {
  if (from == Encoding::Utf8 || from == Encoding::Console) return sanitize_utf8(bytes);  // a Linux console is UTF-8
  if (from == Encoding::Utf16le) return utf16le_to_utf8(bytes);
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) return sanitize_utf8(bytes);  // no converter: keep what is UTF-8
  std::string out;
  out.reserve(bytes.size() * 3 / 2 + 16);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char buf[4096];
  while (in_left > 0) {
    char* o = buf;
    size_t o_left = sizeof buf;
    const size_t r = iconv(cd, &in, &in_left, &o, &o_left);
    out.append(buf, sizeof buf - o_left);
    if (r != static_cast<size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    // EILSEQ (not GBK) or EINVAL (cut short at the end): one replacement, one byte on.
    out += "\xEF\xBF\xBD";
    ++in;
    --in_left;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset the shift state
  }
  iconv_close(cd);
  return sanitize_utf8(out);  // iconv's output is UTF-8; this only guards the contract
}

}  // namespace poolha::text
