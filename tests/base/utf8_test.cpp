// The SDK's one UTF-8 decoder (base/utf8.hpp): valid 1-4 byte sequences, and the one rule for
// invalid bytes (each maximal invalid subpart is one U+FFFD). Lossy results were checked
// against Python's bytes.decode(errors="replace"), which follows the same rule as Rust's
// String::from_utf8_lossy.
#include <gtest/gtest.h>

#include <cstdint>

#include "base/utf8.hpp"

namespace {

namespace utf8 = wizard::utf8;

struct Expected {
  char32_t value;
  std::uint32_t length;
  bool valid;
};

void expect_decodes(std::string_view bytes, Expected expected) {
  const utf8::CodePoint cp = utf8::decode(bytes, 0);
  EXPECT_EQ(cp.value, expected.value) << testing::PrintToString(std::string(bytes));
  EXPECT_EQ(cp.length, expected.length) << testing::PrintToString(std::string(bytes));
  EXPECT_EQ(cp.valid, expected.valid) << testing::PrintToString(std::string(bytes));
}

TEST(Utf8, DecodesOneToFourByteSequences) {
  expect_decodes("A", {0x41, 1, true});
  expect_decodes("\x7F", {0x7F, 1, true});
  expect_decodes("\xC2\x80", {0x80, 2, true});
  expect_decodes("\xC3\xA9", {0xE9, 2, true});
  expect_decodes("\xDF\xBF", {0x7FF, 2, true});
  expect_decodes("\xE0\xA0\x80", {0x800, 3, true});
  expect_decodes("\xE2\x82\xAC", {0x20AC, 3, true});
  expect_decodes("\xED\x9F\xBF", {0xD7FF, 3, true});  // just below the surrogates
  expect_decodes("\xEE\x80\x80", {0xE000, 3, true});  // just above them
  expect_decodes("\xEF\xBF\xBD", {0xFFFD, 3, true});  // a real U+FFFD is valid
  expect_decodes("\xEF\xBF\xBF", {0xFFFF, 3, true});
  expect_decodes("\xF0\x90\x80\x80", {0x10000, 4, true});
  expect_decodes("\xF0\x9F\x98\x80", {0x1F600, 4, true});
  expect_decodes("\xF4\x8F\xBF\xBF", {0x10FFFF, 4, true});
}

TEST(Utf8, OverlongFormsAreInvalidFromTheirLeadByte) {
  expect_decodes("\xC0\x80", {0xFFFD, 1, false});
  expect_decodes("\xC1\xBF", {0xFFFD, 1, false});
  expect_decodes("\xE0\x80\x80", {0xFFFD, 1, false});  // E0 needs A0..BF next
  expect_decodes("\xE0\x9F\xBF", {0xFFFD, 1, false});
  expect_decodes("\xF0\x80\x80\x80", {0xFFFD, 1, false});  // F0 needs 90..BF next
  expect_decodes("\xF0\x8F\xBF\xBF", {0xFFFD, 1, false});
}

TEST(Utf8, SurrogatesAreInvalid) {
  expect_decodes("\xED\xA0\x80", {0xFFFD, 1, false});  // U+D800; ED needs 80..9F next
  expect_decodes("\xED\xBF\xBF", {0xFFFD, 1, false});  // U+DFFF
}

TEST(Utf8, BeyondU10FFFFIsInvalid) {
  expect_decodes("\xF4\x90\x80\x80", {0xFFFD, 1, false});  // U+110000; F4 needs 80..8F next
  for (const char* lead : {"\xF5", "\xF7", "\xF8", "\xFB", "\xFC", "\xFE", "\xFF"})
    expect_decodes(std::string(lead) + "\x80\x80\x80", {0xFFFD, 1, false});
}

TEST(Utf8, TruncatedSequencesCoverTheirValidPrefix) {
  expect_decodes("\xC3", {0xFFFD, 1, false});
  expect_decodes("\xE2\x82", {0xFFFD, 2, false});
  expect_decodes(
      "\xE2\x82"
      "A",
      {0xFFFD, 2, false});
  expect_decodes("\xF0\x9F\x98", {0xFFFD, 3, false});
  expect_decodes("\xF0\x9F\x98 ", {0xFFFD, 3, false});
  expect_decodes("\x80", {0xFFFD, 1, false});  // a lone continuation byte
  expect_decodes("\xBF\xBF", {0xFFFD, 1, false});
}

TEST(Utf8, ReplaceInvalidIsFromUtf8Lossy) {
  // b'a\xf0\x9f\x98\x80b\xe2\x82\xc3\xa9\xc0\xaf\xff\x80z'.decode(errors='replace')
  EXPECT_EQ(utf8::replace_invalid("a\xF0\x9F\x98\x80"
                                  "b\xE2\x82\xC3\xA9\xC0\xAF\xFF\x80z"),
            "a\U0001F600b\uFFFD\u00E9\uFFFD\uFFFD\uFFFD\uFFFDz");
  EXPECT_EQ(utf8::replace_invalid("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(utf8::replace_invalid("\xF4\x90\x80\x80"), "\uFFFD\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(utf8::replace_invalid("\xF0\x9F\x98"), "\uFFFD");
  EXPECT_EQ(utf8::replace_invalid("valid \u00E9\uFFFD"), "valid \u00E9\uFFFD");
}

TEST(Utf8, FindInvalidGivesTheFirstBadOffset) {
  EXPECT_EQ(utf8::find_invalid(""), std::string_view::npos);
  EXPECT_EQ(utf8::find_invalid("plain ASCII text, longer than eight bytes"),
            std::string_view::npos);
  EXPECT_EQ(utf8::find_invalid("Gr\u00FC\u00DFe \U0001F600 \uFFFD"), std::string_view::npos);
  EXPECT_EQ(utf8::find_invalid("0123456789\xC3("), 10u);
  EXPECT_EQ(utf8::find_invalid("\u00E9\xED\xA0\x80"), 2u);
  EXPECT_EQ(utf8::find_invalid("ab\xF0\x9F\x98"), 2u);
  EXPECT_TRUE(utf8::is_valid("\U0010FFFF"));
  EXPECT_FALSE(utf8::is_valid("\xC0\x80"));
}

TEST(Utf8, AppendEncodesWhatDecodeReads) {
  for (const char32_t cp :
       {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFFu, 0x10000u, 0x10FFFFu}) {
    std::string text;
    utf8::append(text, cp);
    const utf8::CodePoint decoded = utf8::decode(text, 0);
    EXPECT_TRUE(decoded.valid) << static_cast<std::uint32_t>(cp);
    EXPECT_EQ(decoded.value, cp);
    EXPECT_EQ(decoded.length, text.size());
  }
}

TEST(Utf8, CountsBoundariesAndSteps) {
  const std::string text = "a\u00E9\u20AC\U0001F600";  // 1 + 2 + 3 + 4 bytes
  EXPECT_EQ(utf8::count(text), 4u);
  EXPECT_EQ(utf8::count("\xFF\xE2\x82"
                        "b"),
            3u);  // two invalid subparts and 'b'
  EXPECT_EQ(utf8::boundaries(text), (std::vector<std::size_t>{0, 1, 3, 6, 10}));
  EXPECT_EQ(utf8::previous_boundary(text, text.size()), 6u);
  EXPECT_EQ(utf8::previous_boundary(text, 6), 3u);
  std::size_t pos = 1;
  EXPECT_EQ(utf8::next(text, pos), 0xE9u);
  EXPECT_EQ(pos, 3u);
  EXPECT_TRUE(utf8::is_ascii("ascii only, more than eight bytes"));
  EXPECT_FALSE(utf8::is_ascii("more than eight bytes then \u00E9"));
}

}  // namespace
