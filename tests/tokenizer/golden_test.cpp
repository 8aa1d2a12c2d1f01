// Golden tests: every case of tokenizer_cases.json and chat_cases.json,
// through every tokenizer it names, against HF tokenizers' recorded output.
#include <gtest/gtest.h>

#include <map>

#include "test_support.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace {

using wizard::Tokenizer;
using wizard::test::read_json;
using wizard::test::refs_dir;
using wizard::test::refs_path;

// Fixture tokenizers are large; load each model folder once per process.
const Tokenizer& tokenizer_in(const std::filesystem::path& dir) {
  static std::map<std::filesystem::path, Tokenizer> loaded;
  auto it = loaded.find(dir);
  if (it == loaded.end()) it = loaded.emplace(dir, Tokenizer::from_pretrained(dir)).first;
  return it->second;
}

std::vector<std::int32_t> ids_of(const nlohmann::json& array) {
  return array.get<std::vector<std::int32_t>>();
}

TEST(GoldenTokenizerCases, EveryTokenizerLoadsWithTheRecordedVocabAndConfig) {
  const nlohmann::json doc = read_json(refs_dir() / "tokenizer_cases.json");
  ASSERT_FALSE(doc.at("tokenizers").empty());
  for (const auto& [name, entry] : doc.at("tokenizers").items()) {
    SCOPED_TRACE(name);
    const Tokenizer& tok = tokenizer_in(refs_path(entry.at("tokenizer_json")).parent_path());
    EXPECT_EQ(tok.vocab_size(), entry.at("vocab_size_with_added").get<std::size_t>());
    EXPECT_EQ(tok.clean_up_tokenization_spaces(),
              entry.at("clean_up_tokenization_spaces").get<bool>());
  }
}

TEST(GoldenTokenizerCases, EncodeAndDecodeMatchHuggingFace) {
  const nlohmann::json doc = read_json(refs_dir() / "tokenizer_cases.json");
  std::size_t checked = 0;
  for (const nlohmann::json& test_case : doc.at("cases")) {
    const std::string text = test_case.at("text");
    for (const auto& [name, expected] : test_case.at("results").items()) {
      SCOPED_TRACE(test_case.at("id").get<std::string>() + " / " + name);
      const auto& entry = doc.at("tokenizers").at(name);
      const Tokenizer& tok = tokenizer_in(refs_path(entry.at("tokenizer_json")).parent_path());

      const std::vector<std::int32_t> ids = tok.encode(text, false);
      EXPECT_EQ(ids, ids_of(expected.at("ids")));
      const std::vector<std::int32_t> with_special = tok.encode(text, true);
      EXPECT_EQ(with_special, ids_of(expected.at("ids_add_special_tokens")));

      std::vector<std::string> tokens;
      for (const std::int32_t id : ids)
        tokens.push_back(tok.id_to_token(id).value_or("<no token>"));
      EXPECT_EQ(tokens, expected.at("tokens").get<std::vector<std::string>>());

      const auto expected_ids = ids_of(expected.at("ids"));
      const auto expected_special = ids_of(expected.at("ids_add_special_tokens"));
      EXPECT_EQ(tok.decode(expected_ids, false), expected.at("decoded"));
      EXPECT_EQ(tok.decode(expected_ids, true), expected.at("decoded_skip_special"));
      EXPECT_EQ(tok.decode(expected_special, false), expected.at("decoded_add_special_tokens"));
      EXPECT_EQ(tok.decode(expected_special, true),
                expected.at("decoded_add_special_tokens_skip_special"));
      EXPECT_EQ(tok.transformers_decode(expected_ids, false), expected.at("transformers_decode"));
      EXPECT_EQ(tok.transformers_decode(expected_ids, true),
                expected.at("transformers_decode_skip_special"));
      ++checked;
    }
  }
  EXPECT_GT(checked, 0u);
}

// chat_cases.json: each rendered conversation encoded without special tokens.
TEST(GoldenChatCases, RenderedTextEncodesToTheRecordedIds) {
  const nlohmann::json doc = read_json(refs_dir() / "chat_cases.json");
  std::size_t checked = 0;
  for (const nlohmann::json& test_case : doc.at("cases")) {
    if (!test_case.contains("ids")) continue;  // a case where transformers raised
    SCOPED_TRACE(test_case.at("id").get<std::string>());
    const auto& template_entry =
        doc.at("templates").at(test_case.at("template").get<std::string>());
    const Tokenizer& tok =
        tokenizer_in(refs_path(template_entry.at("tokenizer_config")).parent_path());
    EXPECT_EQ(tok.encode(test_case.at("rendered").get<std::string>(), false),
              ids_of(test_case.at("ids")));
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

// Many threads at once give the same ids as HF (the shared word cache must not mix words up).
TEST(GoldenChatCases, BatchEncodingOnManyThreadsMatches) {
  const nlohmann::json doc = read_json(refs_dir() / "chat_cases.json");
  std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::vector<std::int32_t>>>>
      by_template;
  for (const nlohmann::json& test_case : doc.at("cases")) {
    if (!test_case.contains("ids")) continue;
    auto& [texts, ids] = by_template[test_case.at("template")];
    // Repeat so that several threads work on the same words at the same time.
    for (int copy = 0; copy < 8; ++copy) {
      texts.push_back(test_case.at("rendered"));
      ids.push_back(ids_of(test_case.at("ids")));
    }
  }
  ASSERT_FALSE(by_template.empty());
  for (const auto& [name, batch] : by_template) {
    SCOPED_TRACE(name);
    const auto& template_entry = doc.at("templates").at(name);
    const Tokenizer& tok =
        tokenizer_in(refs_path(template_entry.at("tokenizer_config")).parent_path());
    EXPECT_EQ(tok.encode_batch(batch.first, false, 4), batch.second);
  }
}

}  // namespace
