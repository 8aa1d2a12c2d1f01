// Normalizers, each on text whose HF result follows from the Unicode data.
#include <gtest/gtest.h>

#include "snippets.hpp"
#include "tokenizer/normalizers.hpp"

namespace {

using wizard::test::view_of;

std::string normalize(const nlohmann::json& spec, std::string text) {
  const auto normalizer = wizard::tokenizer::make_normalizer(view_of(spec));
  normalizer->normalize(text);
  return text;
}

TEST(Normalizer, UnicodeForms) {
  // "e" + COMBINING ACUTE composes to "é"; the ligature "ﬁ" and full-width "Ａ" fold only under
  // NFKC.
  EXPECT_EQ(normalize({{"type", "NFC"}}, "e\u0301 \uFB01 \uFF21"), "\u00E9 \uFB01 \uFF21");
  EXPECT_EQ(normalize({{"type", "NFKC"}}, "e\u0301 \uFB01 \uFF21"), "\u00E9 fi A");
  EXPECT_EQ(normalize({{"type", "NFD"}}, "\u00E9"), "e\u0301");
  EXPECT_EQ(normalize({{"type", "NFKD"}}, "\uFB01\u00E9"), "fie\u0301");
}

TEST(Normalizer, LowercaseMapsEachCharacterWithoutContext) {
  // Rust's char::to_lowercase: final sigma stays σ, İ becomes i + combining dot.
  EXPECT_EQ(normalize({{"type", "Lowercase"}}, "HeLLo ΣΟΦΟΣ İ"), "hello σοφοσ i\u0307");
}

TEST(Normalizer, PrependReplaceStrip) {
  EXPECT_EQ(normalize({{"type", "Prepend"}, {"prepend", "\u2581"}}, "hey"), "\u2581hey");
  EXPECT_EQ(normalize({{"type", "Prepend"}, {"prepend", "\u2581"}}, ""), "");
  EXPECT_EQ(normalize({{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}},
                      "a b  c"),
            "a\u2581b\u2581\u2581c");
  EXPECT_EQ(normalize({{"type", "Replace"}, {"pattern", {{"Regex", R"(\s+)"}}}, {"content", " "}},
                      "a \t\n b"),
            "a b");
  // No empty match right after "aa" (the onig crate's find_iter); HF tokenizers 0.23 gives this.
  EXPECT_EQ(
      normalize({{"type", "Replace"}, {"pattern", {{"Regex", "a*"}}}, {"content", "-"}}, "baab"),
      "-b-b-");
  EXPECT_EQ(
      normalize({{"type", "Strip"}, {"strip_left", true}, {"strip_right", false}}, " \u3000x "),
      "x ");
  EXPECT_EQ(
      normalize({{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}}, " \u3000x\n"),
      "x");
}

TEST(Normalizer, SequenceAppliesInOrder) {
  const nlohmann::json spec = {
      {"type", "Sequence"},
      {"normalizers",
       {{{"type", "Prepend"}, {"prepend", "\u2581"}},
        {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}},
        {{"type", "Lowercase"}}}}};
  EXPECT_EQ(normalize(spec, "Hello World"), "\u2581hello\u2581world");
}

}  // namespace
