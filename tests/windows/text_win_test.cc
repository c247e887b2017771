// Legacy text on Windows: GBK/GB18030 decoded by the system's code page 54936 (or 936),
// with the same replacement rules as glibc's iconv on Linux (tests/unit/text_test.cc),
// and UTF-8 <-> UTF-16 for every W call.
#include <windows.h>
#include <gtest/gtest.h>

#include "common/text_encoding.h"
#include "common/windows/wide.h"

namespace poolha {
namespace {

TEST(TextWin, GbkDecodesToUtf8) {
  EXPECT_EQ(text::decode_to_utf8("\xD6\xD0\xCE\xC4 ok", text::Encoding::Gbk), "中文 ok");
  EXPECT_EQ(text::decode_to_utf8("\xB7\xFE\xCE\xF1\xD2\xEC\xB3\xA3", text::Encoding::Gbk), "服务异常");
}

TEST(TextWin, InvalidBytesBecomeOneReplacementEachAndDecodingGoesOn) {
  // 0xFF starts no sequence; 0xD6 at the end is cut short.
  EXPECT_EQ(text::decode_to_utf8("a\xFF\xD6\xD0\xD6", text::Encoding::Gbk), "a\xEF\xBF\xBD中\xEF\xBF\xBD");
}

TEST(TextWin, Gb18030FourByteSequences) {
  // U+00A5 is 0x81 0x30 0x84 0x36 in GB18030 (not in GBK).
  if (!IsValidCodePage(54936)) GTEST_SKIP() << "this system has no code page 54936 (GB18030); GBK only";
  EXPECT_EQ(text::decode_to_utf8("\x81\x30\x84\x36", text::Encoding::Gbk), "\xC2\xA5");
}

TEST(TextWin, WideRoundTrip) {
  const std::string alias = "以太网 2";
  EXPECT_EQ(win::widen(alias), std::wstring(L"\u4ee5\u592a\u7f51 2"));
  EXPECT_EQ(win::narrow(win::widen(alias)), alias);
  EXPECT_EQ(win::narrow(win::widen("\xFF")), "\xEF\xBF\xBD");
}

TEST(TextWin, ErrorTextNamesTheCode) {
  EXPECT_NE(win::error_text(2).find("(2)"), std::string::npos);
}

}  // namespace
}  // namespace poolha
