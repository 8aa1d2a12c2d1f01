// The tokenizer regex engine: Oniguruma semantics case by case (expected
// matches worked out by hand from the regex rules), and every result of the
// linear fast path and the VM against Oniguruma itself, run as HF tokenizers
// runs it (oniguruma_reference.hpp), on these cases, random text and the
// fixture texts.
#include <gtest/gtest.h>

#include <random>

#include "base/utf8.hpp"
#include "oniguruma_reference.hpp"
#include "test_support.hpp"
#include "tokenizer/regex.hpp"
#include "wizard/base/error.hpp"

namespace {

using wizard::tokenizer::Regex;

std::vector<std::string> matches(const Regex& regex, std::string_view text) {
  std::vector<std::string> out;
  regex.for_each_match(text, [&](std::size_t begin, std::size_t end) {
    out.emplace_back(text.substr(begin, end - begin));
  });
  return out;
}

// Both execution paths (linear fast path where it applies, and the VM) must agree with
// each other and with Oniguruma.
std::vector<std::string> matches(std::string_view pattern, std::string_view text) {
  const auto fast = matches(Regex::compile(pattern), text);
  EXPECT_EQ(fast, matches(Regex::compile(pattern, /*allow_linear=*/false), text)) << pattern;
  EXPECT_EQ(fast, wizard::test::OnigurumaRegex(pattern).matches(text)) << pattern;
  return fast;
}

using Strings = std::vector<std::string>;

const char* kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* kQwen =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

TEST(Regex, AlternationIsLeftmostFirstNotLongest) {
  EXPECT_EQ(matches("a|ab", "ab"), (Strings{"a"}));
  EXPECT_EQ(matches("ab|a", "ab"), (Strings{"ab"}));
}

TEST(Regex, Gpt2PatternSplitsWordsSpacesAndContractions) {
  // "  end": \s+ takes both spaces, (?!\S) fails before 'e', one space is given back.
  EXPECT_EQ(matches(kGpt2, "Hello world's  end\n"),
            (Strings{"Hello", " world", "'s", " ", " end", "\n"}));
  EXPECT_EQ(matches(kGpt2, "x 123 ?!"), (Strings{"x", " 123", " ?!"}));
}

TEST(Regex, QwenPatternKeepsNewlinesAfterPunctuation) {
  // "!\n\n": [^\s\p{L}\p{N}]+ then [\r\n]*; "  x": a lone space, then " x".
  EXPECT_EQ(matches(kQwen, "Hello, world!\n\n  x"),
            (Strings{"Hello", ",", " world", "!\n\n", " ", " x"}));
  // \s*[\r\n]+ ends at the last newline of a whitespace run.
  EXPECT_EQ(matches(kQwen, "a \n \n  b"), (Strings{"a", " \n \n", " ", " b"}));
  EXPECT_EQ(matches(kQwen, "2024"), (Strings{"2", "0", "2", "4"}));
}

TEST(Regex, Llama3PatternGroupsUpToThreeDigits) {
  EXPECT_EQ(matches(kLlama3, "12345 x"), (Strings{"123", "45", " x"}));
}

TEST(Regex, CaseInsensitiveGroupUsesUnicodeCaseFolding) {
  EXPECT_EQ(matches(kQwen, "I'LL"), (Strings{"I", "'LL"}));
  // U+017F LATIN SMALL LETTER LONG S folds to 's'.
  EXPECT_EQ(matches(kQwen, "it'\u017F"), (Strings{"it", "'\u017F"}));
  EXPECT_EQ(matches(kGpt2, "I'LL"),
            (Strings{"I", "'", "LL"}));  // GPT-2's contractions are case-sensitive
  EXPECT_EQ(matches("(?i)k", "K\u212Ak"), (Strings{"K", "\u212A", "k"}));  // U+212A KELVIN SIGN
}

TEST(Regex, UnicodeCategoriesAndScripts) {
  EXPECT_EQ(matches(R"(\p{L}+)", "Grüße 世界 мир"), (Strings{"Grüße", "世界", "мир"}));
  EXPECT_EQ(matches(R"(\p{N}+)", "x٣٤5Ⅻ"),
            (Strings{"٣٤5Ⅻ"}));  // Arabic-Indic digits, roman numeral (Nl)
  EXPECT_EQ(matches(R"(\p{Han}+)", "漢字かな"), (Strings{"漢字"}));
  EXPECT_EQ(matches(R"(\P{L}+)", "ab12cd"), (Strings{"12"}));
  // \s is White_Space: no-break space and ideographic space count.
  EXPECT_EQ(matches(R"(\s+)", "a\u00A0\u3000b"), (Strings{"\u00A0\u3000"}));
}

TEST(Regex, CharacterClasses) {
  EXPECT_EQ(matches("[a-c]+", "abcd"), (Strings{"abc"}));
  EXPECT_EQ(matches(R"([^\d\s]+)", "ab 12 cd"), (Strings{"ab", "cd"}));
  EXPECT_EQ(matches(R"(\h+)", "xyz 0fF"), (Strings{"0fF"}));
  EXPECT_EQ(matches("[]a]+", "a]b"), (Strings{"a]"}));
  EXPECT_EQ(matches(R"([\x41-\x43]+)", "ABCD"), (Strings{"ABC"}));
}

TEST(Regex, Quantifiers) {
  EXPECT_EQ(matches("a{2}", "aaaaa"), (Strings{"aa", "aa"}));
  EXPECT_EQ(matches("a{2,}", "a aaa"), (Strings{"aaa"}));
  EXPECT_EQ(matches("<.+?>", "<a><b>"), (Strings{"<a>", "<b>"}));
  EXPECT_EQ(matches("a+?", "aaa"), (Strings{"a", "a", "a"}));
  EXPECT_EQ(matches("x{,2}y", "xxxy"), (Strings{"xxy"}));
  EXPECT_EQ(matches("a{x", "a{x"), (Strings{"a{x"}));  // not a quantifier: literal brace
}

TEST(Regex, PossessiveAndAtomicNeverGiveBack) {
  EXPECT_TRUE(matches("a++a", "aaa").empty());
  EXPECT_TRUE(matches("(?>a+)a", "aaa").empty());
  EXPECT_EQ(matches("a+a", "aaa"), (Strings{"aaa"}));
}

TEST(Regex, LookAroundAndAnchors) {
  EXPECT_EQ(matches(R"(\s+(?!\S))", "a   b"), (Strings{"  "}));
  EXPECT_EQ(matches("a(?=b)", "ab ac"), (Strings{"a"}));
  EXPECT_EQ(matches("(?<=a)b", "abcb"), (Strings{"b"}));
  EXPECT_EQ(matches("(?<!a)b", "abcb"), (Strings{"b"}));
  EXPECT_EQ(matches("^a", "a\na"), (Strings{"a", "a"}));  // Ruby syntax: ^ is a line anchor
  EXPECT_EQ(matches(R"(\Aa)", "a\na"), (Strings{"a"}));
  EXPECT_EQ(matches(R"(a\b)", "a ab"), (Strings{"a"}));
}

TEST(Regex, DotStopsAtNewlineUnlessMultiline) {
  EXPECT_TRUE(matches("a.c", "a\nc").empty());
  EXPECT_EQ(matches("(?m:a.c)", "a\nc"), (Strings{"a\nc"}));
}

TEST(Regex, EmptyMatchesAdvanceOneCharacter) {
  EXPECT_EQ(matches("x*", "aé"), (Strings{"", "", ""}));
}

TEST(Regex, AnEmptyMatchWhereTheLastMatchEndedIsSkipped) {
  // The onig crate's find_iter: "a*" on "baab" matches "" at 0, "aa" at 1, and "" at 4, but
  // not "" at 3 (HF tokenizers 0.23 replaces "a*" in "baab" with "-" to "-b-b-").
  EXPECT_EQ(matches("a*", "baab"), (Strings{"", "aa", ""}));
  EXPECT_EQ(matches("a|", "ab"), (Strings{"a", ""}));
}

TEST(Regex, UnsupportedSyntaxIsAnErrorNamingThePattern) {
  for (const char* pattern :
       {R"((a)\1)", "[[:alpha:]]", "a{2,1}", "(?<=a+)b", "(a*)*", "(", "[a"}) {
    try {
      Regex::compile(pattern);
      ADD_FAILURE() << "compiled: " << pattern;
    } catch (const wizard::Error& error) {
      EXPECT_NE(std::string(error.what()).find(pattern), std::string::npos) << error.what();
    }
  }
}

// GPT-4o-style (o200k) pattern: optional case-insensitive contraction groups need the VM.
const char* kO200k =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

TEST(Regex, O200kPatternSplitsCamelCaseAndKeepsContractions) {
  // "Hello": [Lu]* takes H, [Ll]+ takes ello and stops at W; "World's" takes the optional 's.
  EXPECT_EQ(matches(kO200k, "HelloWorld's ABC x/\n"),
            (Strings{"Hello", "World's", " ABC", " x", "/\n"}));
  EXPECT_FALSE(Regex::compile(kO200k).uses_linear_matcher());
}

// DeepSeek-V3-style Split patterns: explicit ranges of non-ASCII letters and CJK blocks.
TEST(Regex, ExplicitUnicodeRangesInClasses) {
  EXPECT_EQ(matches(R"([一-龥\u3040-ゟ゠-ヿ]+)", "abc漢字かなカナxyz"), (Strings{"漢字かなカナ"}));
  // ":-~" spans letters too, so digits are what this class leaves out.
  EXPECT_EQ(matches(R"(\s?[!-/:-~！-／：-～‘-‟　-。]+)", "1 ,.！2"), (Strings{" ,.！"}));
}

TEST(Regex, TokenizerPatternsUseTheLinearFastPath) {
  for (const char* pattern : {kGpt2, kLlama3, kQwen})
    EXPECT_TRUE(Regex::compile(pattern).uses_linear_matcher());
}

// Random text over characters that stress every branch: letters (incl. long s and
// Kelvin sign), digits, punctuation, apostrophes, many kinds of whitespace, CJK, marks.
std::string random_text(std::mt19937& random) {
  static const char32_t alphabet[] = {
      'a',    'Z',  's',  'S',   'l',    'L',  'r',    'e',    'v',    'm',   'd',    't', 0x17F,
      0x212A, '0',  '7',  0x663, 0x2167, '\'', '!',    ',',    '-',    '_',   ' ',    ' ', ' ',
      '\n',   '\r', '\t', '\v',  0x85,   0xA0, 0x3000, 0x2028, 0x4E16, 0x301, 0x1F600};
  std::uniform_int_distribution<std::size_t> pick(0, std::size(alphabet) - 1), length(0, 24);
  std::string text;
  for (std::size_t i = length(random); i > 0; --i)
    wizard::utf8::append(text, alphabet[pick(random)]);
  return text;
}

TEST(Regex, BothPathsAgreeWithOnigurumaOnRandomText) {
  std::mt19937 random(20240601);
  for (const char* pattern : {kGpt2, kLlama3, kQwen, kO200k}) {
    const Regex fast = Regex::compile(pattern), vm = Regex::compile(pattern, false);
    const wizard::test::OnigurumaRegex reference(pattern);
    for (int i = 0; i < 3000; ++i) {
      const std::string text = random_text(random);
      const auto expected = reference.matches(text);
      ASSERT_EQ(matches(fast, text), expected) << pattern << " on \"" << text << "\"";
      ASSERT_EQ(matches(vm, text), expected) << pattern << " on \"" << text << "\"";
    }
  }
}

TEST(GoldenRegex, FixtureTextsSplitAsOnigurumaSplitsThem) {
  const nlohmann::json cases =
      wizard::test::read_json(wizard::test::refs_dir() / "tokenizer_cases.json");
  const nlohmann::json chats =
      wizard::test::read_json(wizard::test::refs_dir() / "chat_cases.json");
  std::vector<std::string> texts;
  for (const auto& c : cases.at("cases")) texts.push_back(c.at("text"));
  for (const auto& c : chats.at("cases"))
    if (c.contains("rendered")) texts.push_back(c.at("rendered"));
  ASSERT_FALSE(texts.empty());
  for (const char* pattern : {kGpt2, kLlama3, kQwen, kO200k}) {
    const Regex regex = Regex::compile(pattern);
    const wizard::test::OnigurumaRegex reference(pattern);
    for (const std::string& text : texts)
      EXPECT_EQ(matches(regex, text), reference.matches(text)) << pattern << " on " << text;
  }
}

}  // namespace
