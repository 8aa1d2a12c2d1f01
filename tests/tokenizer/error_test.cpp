// Unsupported components and malformed files fail with a wizard::Error that
// names the file, the place and the type.
#include <gtest/gtest.h>

#include <fstream>

#include "snippets.hpp"
#include "test_support.hpp"
#include "wizard/base/error.hpp"

namespace {

using wizard::test::bpe_model;
using wizard::test::tokenizer_from;
using wizard::test::tokenizer_json;

// The message of the Error that loading `document` throws ("" if none).
std::string load_error(const std::string& document) {
  try {
    wizard::Tokenizer::from_json_text(document, "snippet.json");
  } catch (const wizard::Error& error) {
    return error.what();
  }
  return "";
}

void expect_mentions(const std::string& message, const std::vector<std::string>& parts) {
  ASSERT_FALSE(message.empty()) << "no error was thrown";
  for (const std::string& part : parts)
    EXPECT_NE(message.find(part), std::string::npos) << message << "\nlacks: " << part;
}

const nlohmann::json kModel = bpe_model({"a", "b"}, nlohmann::json::array());

TEST(TokenizerErrors, UnsupportedComponentTypesAreNamed) {
  expect_mentions(
      load_error(tokenizer_json(kModel, {{"normalizer", {{"type", "BertNormalizer"}}}}).dump()),
      {"snippet.json", "normalizer", "BertNormalizer", "not supported"});
  expect_mentions(
      load_error(tokenizer_json(kModel, {{"pre_tokenizer",
                                          {{"type", "Sequence"},
                                           {"pretokenizers", {{{"type", "UnicodeScripts"}}}}}}})
                     .dump()),
      {"snippet.json", "pre_tokenizer.pretokenizers[0]", "UnicodeScripts"});
  expect_mentions(load_error(tokenizer_json(kModel, {{"decoder", {{"type", "CTC"}}}}).dump()),
                  {"decoder", "CTC"});
  expect_mentions(
      load_error(tokenizer_json(kModel, {{"post_processor", {{"type", "Mystery"}}}}).dump()),
      {"post_processor", "Mystery"});
  expect_mentions(load_error(tokenizer_json({{"type", "WordPiece"}, {"vocab", {{"a", 0}}}}).dump()),
                  {"model", "WordPiece", "BPE"});
}

TEST(TokenizerErrors, MalformedFilesSayWhatIsWrong) {
  expect_mentions(load_error("{\"model\": "), {"snippet.json", "not valid JSON"});
  expect_mentions(load_error("[1, 2]"), {"snippet.json", "tokenizer.json"});
  expect_mentions(load_error(R"({"version": "1.0"})"), {"missing key \"model\""});
  expect_mentions(load_error(tokenizer_json(bpe_model({"a", "b"}, {"a b"})).dump()),
                  {"model.merges[0]", "\"ab\" is not in the vocabulary"});
  expect_mentions(load_error(tokenizer_json(bpe_model({"a"}, {"ab"})).dump()),
                  {"model.merges[0]", "no space"});
  nlohmann::json bad_split = {
      {"type", "Split"}, {"pattern", {{"Regex", "(a"}}}, {"behavior", "Isolated"}};
  expect_mentions(load_error(tokenizer_json(kModel, {{"pre_tokenizer", bad_split}}).dump()),
                  {"pre_tokenizer.pattern.Regex", "(a"});
  nlohmann::json bad_behavior = {
      {"type", "Split"}, {"pattern", {{"String", "a"}}}, {"behavior", "Sideways"}};
  expect_mentions(load_error(tokenizer_json(kModel, {{"pre_tokenizer", bad_behavior}}).dump()),
                  {"Sideways"});
}

TEST(TokenizerErrors, MissingFilesNameThePath) {
  try {
    wizard::Tokenizer::from_file("/nonexistent/tokenizer.json");
    ADD_FAILURE();
  } catch (const wizard::Error& error) {
    expect_mentions(error.what(), {"/nonexistent/tokenizer.json", "cannot open"});
  }
  const auto empty_dir = wizard::test::temp_dir("tokenizer-empty");
  try {
    wizard::Tokenizer::from_pretrained(empty_dir);
    ADD_FAILURE();
  } catch (const wizard::Error& error) {
    expect_mentions(error.what(), {empty_dir.string(), "no tokenizer.json"});
  }
}

}  // namespace
