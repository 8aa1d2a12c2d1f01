// Pre-tokenizers: the pieces each produces, worked out from HF's split rules.
#include <gtest/gtest.h>

#include "snippets.hpp"
#include "tokenizer/pre_tokenizers.hpp"

namespace {

using Strings = std::vector<std::string>;
using wizard::test::view_of;

Strings pieces(const nlohmann::json& spec, const std::string& text, bool at_origin = true) {
  const auto pre_tokenizer = wizard::tokenizer::make_pre_tokenizer(view_of(spec));
  wizard::tokenizer::PieceList list;
  list.reset(text, at_origin);
  pre_tokenizer->pre_tokenize(list);
  wizard::tokenizer::materialize_byte_level(list);
  Strings out;
  for (const auto& piece : list.pieces) out.emplace_back(list.view(piece));
  return out;
}

nlohmann::json split(const std::string& behavior, bool invert = false) {
  return {{"type", "Split"},
          {"pattern", {{"String", "-"}}},
          {"behavior", behavior},
          {"invert", invert}};
}

TEST(PreTokenizer, SplitBehaviors) {
  // "a-b--c" with matches at the dashes.
  EXPECT_EQ(pieces(split("Removed"), "a-b--c"), (Strings{"a", "b", "c"}));
  EXPECT_EQ(pieces(split("Isolated"), "a-b--c"), (Strings{"a", "-", "b", "-", "-", "c"}));
  EXPECT_EQ(pieces(split("MergedWithPrevious"), "a-b--c"), (Strings{"a-", "b-", "-", "c"}));
  EXPECT_EQ(pieces(split("MergedWithNext"), "a-b--c"), (Strings{"a", "-b", "-", "-c"}));
  EXPECT_EQ(pieces(split("Contiguous"), "a-b--c"), (Strings{"a", "-", "b", "--", "c"}));
  // invert: the non-dashes are the matches, so Removed keeps each dash (not merged).
  EXPECT_EQ(pieces(split("Removed", true), "a-b--c"), (Strings{"-", "-", "-"}));
}

TEST(PreTokenizer, SplitWithRegex) {
  const nlohmann::json spec = {{"type", "Split"},
                               {"pattern", {{"Regex", R"(\p{N}{1,3})"}}},
                               {"behavior", "Isolated"},
                               {"invert", false}};
  EXPECT_EQ(pieces(spec, "ab12345"), (Strings{"ab", "123", "45"}));
}

TEST(PreTokenizer, ByteLevelMapsBytesToItsAlphabet) {
  // Space is U+0120 'Ġ', newline U+010A 'Ċ'; 'é' (C3 A9) becomes "Ã©".
  const nlohmann::json plain = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
  EXPECT_EQ(pieces(plain, "a b\né"), (Strings{"a\u0120b\u010A\u00C3\u00A9"}));
  const nlohmann::json gpt2 = {
      {"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
  EXPECT_EQ(pieces(gpt2, "Hi there"), (Strings{"\u0120Hi", "\u0120there"}));
  EXPECT_EQ(pieces(gpt2, " Hi"), (Strings{"\u0120Hi"}));  // already starts with a space
}

TEST(PreTokenizer, MetaspaceReplacesSpacesAndSplitsBeforeThem) {
  const auto metaspace = [](const std::string& scheme, bool split_pieces) {
    return nlohmann::json{{"type", "Metaspace"},
                          {"replacement", "\u2581"},
                          {"prepend_scheme", scheme},
                          {"split", split_pieces}};
  };
  EXPECT_EQ(pieces(metaspace("always", true), "Hey   friend!"),
            (Strings{"\u2581Hey", "\u2581", "\u2581", "\u2581friend!"}));
  EXPECT_EQ(pieces(metaspace("always", false), "Hey friend"), (Strings{"\u2581Hey\u2581friend"}));
  EXPECT_EQ(pieces(metaspace("never", true), "Hey friend"), (Strings{"Hey", "\u2581friend"}));
  // "first": only a piece that starts at byte 0 of the original text gets the prefix.
  EXPECT_EQ(pieces(metaspace("first", true), "Hey", /*at_origin=*/true), (Strings{"\u2581Hey"}));
  EXPECT_EQ(pieces(metaspace("first", true), "Hey", /*at_origin=*/false), (Strings{"Hey"}));
  // Legacy files: add_prefix_space instead of prepend_scheme.
  const nlohmann::json legacy = {
      {"type", "Metaspace"}, {"replacement", "\u2581"}, {"add_prefix_space", true}};
  EXPECT_EQ(pieces(legacy, "a b"), (Strings{"\u2581a", "\u2581b"}));
}

TEST(PreTokenizer, DigitsAloneOrGrouped) {
  EXPECT_EQ(pieces({{"type", "Digits"}, {"individual_digits", true}}, "a123b"),
            (Strings{"a", "1", "2", "3", "b"}));
  EXPECT_EQ(pieces({{"type", "Digits"}, {"individual_digits", false}}, "a123b4"),
            (Strings{"a", "123", "b", "4"}));
}

TEST(PreTokenizer, WhitespaceFamilies) {
  EXPECT_EQ(pieces({{"type", "Whitespace"}}, "Hey, you!  ok"),
            (Strings{"Hey", ",", "you", "!", "ok"}));
  EXPECT_EQ(pieces({{"type", "WhitespaceSplit"}}, " Hey, you!\tok "),
            (Strings{"Hey,", "you!", "ok"}));
  EXPECT_EQ(pieces({{"type", "Punctuation"}, {"behavior", "Isolated"}}, "a,b!"),
            (Strings{"a", ",", "b", "!"}));
}

TEST(PreTokenizer, SequenceRunsEachStepOnEveryPiece) {
  const nlohmann::json spec = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "WhitespaceSplit"}},
        {{"type", "Digits"}, {"individual_digits", true}},
        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
  EXPECT_EQ(pieces(spec, "ab12 c"), (Strings{"ab", "1", "2", "c"}));
}

}  // namespace
