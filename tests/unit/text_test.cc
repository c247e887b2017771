// Text from outside (issue 9 §1): made valid UTF-8 where it enters, cut on character
// boundaries, GBK decoded where the source says so, JSON written without throwing.
#include <gtest/gtest.h>

#include <random>

#include "common/json_text.h"
#include "common/text_encoding.h"
#include "common/utf8.h"

namespace poolha::text {
namespace {

const std::string kQi = "\xE5\x90\xAF";  // 启, 3 bytes in UTF-8
const std::string kGbkZhongWen = "\xD6\xD0\xCE\xC4";  // 中文 in GBK

TEST(Utf8, ValidTextIsUnchanged) {
  for (const std::string& s : {std::string(""), std::string("plain ascii"), "gateway " + kQi + " ok",
                              std::string("\xF0\x9F\x98\x80 emoji"), std::string("\xC2\xA9 2026")}) {
    EXPECT_TRUE(is_valid_utf8(s)) << s;
    EXPECT_EQ(sanitize_utf8(s), s);
  }
}

TEST(Utf8, IllFormedBytesBecomeReplacementCharacters) {
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_EQ(sanitize_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  // A truncated 3-byte character at the end: one U+FFFD for the maximal subpart.
  EXPECT_EQ(sanitize_utf8("x" + kQi.substr(0, 2)), "x\xEF\xBF\xBD");
  // Overlong, surrogate and out-of-range forms are refused.
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));
  // GBK bytes are not UTF-8.
  EXPECT_FALSE(is_valid_utf8(kGbkZhongWen));
  EXPECT_TRUE(is_valid_utf8(sanitize_utf8(kGbkZhongWen)));
}

TEST(Utf8, TruncationNeverSplitsACharacter) {
  std::string cjk;
  for (int i = 0; i < 400; ++i) cjk += kQi;  // 1200 bytes: the controller's old 1024-byte cut split one
  const std::string cut = truncate_utf8(cjk, 1024);
  EXPECT_EQ(cut.size(), 1023u);  // 341 whole characters
  EXPECT_TRUE(is_valid_utf8(cut));
  const std::string marked = truncate_utf8(cjk, 1024, "...");
  EXPECT_LE(marked.size(), 1024u);
  EXPECT_TRUE(is_valid_utf8(marked));
  EXPECT_EQ(marked.substr(marked.size() - 3), "...");
  EXPECT_EQ(truncate_utf8("short", 1024, "..."), "short");
}

TEST(Utf8, CleanTextOfRandomBytesIsAlwaysValidAndBounded) {
  std::mt19937 rng(20261130);
  size_t replaced = 0;
  for (int n = 0; n < 5000; ++n) {
    std::string bytes(rng() % 300, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() % 256);
    const size_t cap = 1 + rng() % 200;
    const std::string out = clean_text(bytes, cap);
    ASSERT_TRUE(is_valid_utf8(out)) << "seed 20261130 case " << n;
    ASSERT_LE(out.size(), std::max<size_t>(cap, 3)) << "case " << n;
    replaced += out.find("\xEF\xBF\xBD") != std::string::npos;
  }
  std::printf("clean_text: 5000 random byte strings (seed 20261130), all valid UTF-8 within their cap; %zu had "
              "ill-formed bytes replaced\n", replaced);
}

TEST(Utf8, LogSafeEscapesControlCharacters) {
  EXPECT_EQ(log_safe("a\nb"), "a\\x0Ab");
  EXPECT_EQ(log_safe("\x1b[31mred"), "\\x1B[31mred");
  EXPECT_EQ(log_safe("x\xE2\x80\xAEy"), "x\\u202Ey");  // right-to-left override
  EXPECT_EQ(log_safe(kQi), kQi);
  EXPECT_LE(log_safe(std::string(10000, 'A'), 100).size(), 100u);
}

TEST(Utf8, DisplayWidthCountsWideCharacters) {
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("\xE4\xB8\xAD\xE6\x96\x87"), 4u);  // 中文
  EXPECT_EQ(display_width("e\xCC\x81"), 1u);                 // e + combining acute
  EXPECT_EQ(truncate_to_width("\xE4\xB8\xAD\xE6\x96\x87", 3), "\xE4\xB8\xAD");
}

TEST(Encoding, GbkIsDecodedToUtf8) {
  EXPECT_EQ(decode_to_utf8(kGbkZhongWen, Encoding::Gbk), "\xE4\xB8\xAD\xE6\x96\x87");
  EXPECT_EQ(decode_to_utf8("ERROR " + kGbkZhongWen, Encoding::Gbk), "ERROR \xE4\xB8\xAD\xE6\x96\x87");
  // A GBK string cut in the middle of a character, and a byte GBK does not have.
  const std::string bad = decode_to_utf8("ok\xD6", Encoding::Gbk);
  EXPECT_TRUE(is_valid_utf8(bad));
  EXPECT_EQ(bad.substr(0, 2), "ok");
  EXPECT_TRUE(is_valid_utf8(decode_to_utf8("\x80\xFF\xFF\x00zz", Encoding::Gbk)));
  // UTF-8 "decoding" sanitizes.
  EXPECT_EQ(decode_to_utf8("a\xFF", Encoding::Utf8), "a\xEF\xBF\xBD");
  EXPECT_EQ(parse_encoding("GBK"), Encoding::Gbk);
  EXPECT_EQ(parse_encoding("utf-8"), Encoding::Utf8);
  EXPECT_EQ(parse_encoding("latin1"), std::nullopt);
  EXPECT_EQ(parse_encoding("UTF-16"), Encoding::Utf16le);
  EXPECT_EQ(parse_encoding("console"), Encoding::Console);
  // On Linux a script's console writes UTF-8.
  EXPECT_EQ(decode_to_utf8("a\xFF", Encoding::Console), "a\xEF\xBF\xBD");
}

TEST(Encoding, Utf16IsDecodedToUtf8) {
  // "中a", U+1F600 as a surrogate pair, then an unpaired high surrogate and an odd byte.
  EXPECT_EQ(decode_to_utf8(std::string("\x2D\x4E" "a\0", 4), Encoding::Utf16le), "\xE4\xB8\xAD" "a");
  EXPECT_EQ(decode_to_utf8(std::string("\x3D\xD8\x00\xDE", 4), Encoding::Utf16le), "\xF0\x9F\x98\x80");
  EXPECT_EQ(decode_to_utf8(std::string("\x3D\xD8" "b\0" "c", 5), Encoding::Utf16le), "\xEF\xBF\xBD" "b\xEF\xBF\xBD");
}

TEST(JsonText, NeverThrowsOnIllFormedStrings) {
  nlohmann::json j{{"detail", "cut" + kQi.substr(0, 1)}, {"ok", true}};
  EXPECT_THROW((void)j.dump(), nlohmann::json::type_error);  // why json_text exists
  const std::string out = json_text(j);
  EXPECT_TRUE(is_valid_utf8(out));
  EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos);
}

TEST(JsonText, BoundedParseRefusesDeepNesting) {
  EXPECT_TRUE(parse_json_bounded(std::string(64, '[') + std::string(64, ']')).ok());
  auto deep = parse_json_bounded(std::string(100000, '['));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.error().find("deeper than 64"), std::string::npos);
  EXPECT_FALSE(parse_json_bounded("{\"a\": \"\xFF\"}").ok());
  EXPECT_FALSE(parse_json_bounded("{").ok());
  auto ok = parse_json_bounded("{\"a\": [1, {\"b\": null}]}");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE((*ok)["a"][1]["b"].is_null());
}

}  // namespace
}  // namespace poolha::text
