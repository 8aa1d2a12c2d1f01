// Added tokens: matched before the model, leftmost-longest, with lstrip,
// rstrip, single_word and normalized as HF applies them. The model is
// character-level (no merges), so every other character is its own id.
#include <gtest/gtest.h>

#include "snippets.hpp"

namespace {

using Ids = std::vector<std::int32_t>;
using wizard::test::added_token;
using wizard::test::bpe_model;
using wizard::test::tokenizer_from;
using wizard::test::tokenizer_json;

// Ids: a=0 b=1 c=2 x=3 ' '=4, h=5 i=6 H=7 I=8; added tokens from 10.
wizard::Tokenizer with_added(const std::vector<nlohmann::json>& added,
                             const nlohmann::json& normalizer = nullptr) {
  const auto model =
      bpe_model({"a", "b", "c", "x", " ", "h", "i", "H", "I"}, nlohmann::json::array());
  return tokenizer_from(
      tokenizer_json(model, {{"added_tokens", added}, {"normalizer", normalizer}}));
}

TEST(AddedTokens, LeftmostLongestMatchWins) {
  const auto tok = with_added(
      {added_token(10, "ab", true), added_token(11, "abc", true), added_token(12, "bc", true)});
  EXPECT_EQ(tok.encode("xabcx", false), (Ids{3, 11, 3}));
  EXPECT_EQ(tok.encode("xbca", false), (Ids{3, 12, 0}));
}

TEST(AddedTokens, LstripAndRstripSwallowNeighbouringWhitespace) {
  const auto plain = with_added({added_token(10, "c", true)});
  EXPECT_EQ(plain.encode("a  c  b", false), (Ids{0, 4, 4, 10, 4, 4, 1}));
  const auto left = with_added({added_token(10, "c", true, {{"lstrip", true}})});
  EXPECT_EQ(left.encode("a  c  b", false), (Ids{0, 10, 4, 4, 1}));
  const auto right = with_added({added_token(10, "c", true, {{"rstrip", true}})});
  EXPECT_EQ(right.encode("a  c  b", false), (Ids{0, 4, 4, 10, 1}));
}

TEST(AddedTokens, SingleWordOnlyMatchesWholeWords) {
  const auto tok =
      with_added({added_token(10, "ab", false, {{"single_word", true}, {"normalized", false}})});
  // "xab": preceded by a word character, so not a match; "ab," would be (punctuation is no word).
  EXPECT_EQ(tok.encode("ab xab ab", false), (Ids{10, 4, 3, 0, 1, 4, 10}));
}

TEST(AddedTokens, NormalizedTokensMatchTheNormalizedText) {
  const nlohmann::json lowercase = {{"type", "Lowercase"}};
  // normalized=true: "HI" is lowercased to "hi" before matching; the token content is normalized
  // too.
  const auto normalized =
      with_added({added_token(10, "HI", false, {{"normalized", true}})}, lowercase);
  EXPECT_EQ(normalized.encode("aHIa", false), (Ids{0, 10, 0}));
  // normalized=false: matched on the raw text, so "hi" is no match but "HI" is.
  const auto raw = with_added({added_token(10, "HI", true, {{"normalized", false}})}, lowercase);
  EXPECT_EQ(raw.encode("hiHI", false), (Ids{5, 6, 10}));
}

TEST(AddedTokens, DecodeSkipsOnlySpecialTokens) {
  const auto tok = with_added({added_token(10, "<s>", true), added_token(11, "<t>", false)});
  EXPECT_EQ(tok.decode({10, 0, 11, 1}, false),
            "<s> a <t> b");  // no decoder: tokens joined by spaces
  EXPECT_EQ(tok.decode({10, 0, 11, 1}, true), "a <t> b");
  EXPECT_TRUE(tok.is_special_id(10));
  EXPECT_FALSE(tok.is_special_id(11));
  EXPECT_EQ(tok.token_to_id("<t>"), 11);
  EXPECT_EQ(tok.id_to_token(10), "<s>");
  EXPECT_EQ(tok.vocab_size(), 11u);  // 9 model tokens + 2 added
}

}  // namespace
