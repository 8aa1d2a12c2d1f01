// The BPE model on hand-made vocabularies; no pre-tokenizer, so each text is one word.
#include <gtest/gtest.h>

#include "snippets.hpp"
#include "wizard/base/error.hpp"

namespace {

using Ids = std::vector<std::int32_t>;
using wizard::test::bpe_model;
using wizard::test::tokenizer_from;
using wizard::test::tokenizer_json;

Ids encode(const nlohmann::json& model, const std::string& text) {
  return tokenizer_from(tokenizer_json(model)).encode(text, false);
}

TEST(Bpe, MergesAsStringsOrPairsGiveTheSameIds) {
  const std::vector<std::string> vocab{"a", "b", "c", "ab", "abc"};
  EXPECT_EQ(encode(bpe_model(vocab, {"a b", "ab c"}), "abc"), (Ids{4}));
  const auto pairs = nlohmann::json::array(
      {nlohmann::json::array({"a", "b"}), nlohmann::json::array({"ab", "c"})});
  EXPECT_EQ(encode(bpe_model(vocab, pairs), "abc"), (Ids{4}));
}

TEST(Bpe, LowerRankMergesFirst) {
  const std::vector<std::string> vocab{"a", "b", "c", "ab", "bc"};
  EXPECT_EQ(encode(bpe_model(vocab, {"b c", "a b"}), "abc"), (Ids{0, 4}));  // bc first: a + bc
  EXPECT_EQ(encode(bpe_model(vocab, {"a b", "b c"}), "abc"), (Ids{3, 2}));  // ab first: ab + c
}

TEST(Bpe, EqualRanksMergeLeftmostFirst) {
  EXPECT_EQ(encode(bpe_model({"a", "aa"}, {"a a"}), "aaa"), (Ids{1, 0}));
  EXPECT_EQ(encode(bpe_model({"a", "aa"}, {"a a"}), "aaaa"), (Ids{1, 1}));
}

// Words of more than 64 characters take the queue-based merge; both paths must
// merge lowest rank first, leftmost among equals: a-pairs left to right, then aa-pairs.
TEST(Bpe, LongAndShortWordsMergeInTheSameOrder) {
  const auto model = bpe_model({"a", "aa", "aaaa"}, {"a a", "aa aa"});
  EXPECT_EQ(encode(model, std::string(10, 'a')), (Ids{2, 2, 1}));
  EXPECT_EQ(encode(model, std::string(100, 'a')), Ids(25, 2));
  Ids odd(25, 2);
  odd.push_back(1);
  odd.push_back(0);
  EXPECT_EQ(encode(model, std::string(103, 'a')), odd);
}

TEST(Bpe, ByteFallbackSpellsUnknownCharactersAsBytes) {
  nlohmann::json model = bpe_model({"a", "<0xC3>", "<0xA9>", "<unk>"}, nlohmann::json::array());
  model["byte_fallback"] = true;
  model["unk_token"] = "<unk>";
  EXPECT_EQ(encode(model, "aé"), (Ids{0, 1, 2}));  // é is C3 A9
  EXPECT_EQ(encode(model, "aè"), (Ids{0, 3}));     // è is C3 A8: <0xA8> is missing, so unk
}

TEST(Bpe, UnknownCharactersFuseOrNot) {
  nlohmann::json model = bpe_model({"<unk>", "a"}, nlohmann::json::array());
  EXPECT_EQ(encode(model, "axya"), (Ids{1, 1}));  // no unk_token: dropped, as HF does
  model["unk_token"] = "<unk>";
  EXPECT_EQ(encode(model, "axya"), (Ids{1, 0, 0, 1}));
  model["fuse_unk"] = true;
  EXPECT_EQ(encode(model, "axya"), (Ids{1, 0, 1}));
}

TEST(Bpe, ContinuingSubwordPrefixAndEndOfWordSuffix) {
  // With a prefix, a merge of "ab" and "##c" makes "abc" (the prefix of the right part is dropped).
  nlohmann::json prefixed = bpe_model({"a", "##b", "##c", "ab", "abc"}, {"a ##b", "ab ##c"});
  prefixed["continuing_subword_prefix"] = "##";
  EXPECT_EQ(encode(prefixed, "abc"), (Ids{4}));
  EXPECT_EQ(encode(prefixed, "ab"), (Ids{3}));
  nlohmann::json suffixed = bpe_model({"a", "b</w>", "ab</w>"}, {"a b</w>"});
  suffixed["end_of_word_suffix"] = "</w>";
  EXPECT_EQ(encode(suffixed, "ab"), (Ids{2}));
}

TEST(Bpe, IgnoreMergesTakesWholeWordsFromTheVocabulary) {
  nlohmann::json model = bpe_model({"a", "b", "c", "abc"}, nlohmann::json::array());
  EXPECT_EQ(encode(model, "abc"), (Ids{0, 1, 2}));  // no merge reaches "abc"
  model["ignore_merges"] = true;
  EXPECT_EQ(encode(model, "abc"), (Ids{3}));
}

TEST(Bpe, DropoutIsRefused) {
  nlohmann::json model = bpe_model({"a"}, nlohmann::json::array());
  model["dropout"] = 0.1;
  EXPECT_THROW(tokenizer_from(tokenizer_json(model)), wizard::Error);
  model["dropout"] = 0.0;  // no dropout at all
  EXPECT_EQ(encode(model, "a"), (Ids{0}));
}

}  // namespace
