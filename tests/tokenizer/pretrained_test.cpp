// from_pretrained: special tokens from tokenizer_config.json (strings or
// AddedToken objects), with config.json / generation_config.json ids as
// fallbacks, and transformers' decode clean-up.
#include <gtest/gtest.h>

#include <fstream>

#include "snippets.hpp"
#include "test_support.hpp"

namespace {

using wizard::test::added_token;
using wizard::test::bpe_model;
using wizard::test::tokenizer_json;

void write(const std::filesystem::path& path, const nlohmann::json& value) {
  std::ofstream(path) << value.dump(2);
}

// a=0 ' '=1 .=2 '=3 s=4; <s>=5 </s>=6 <pad>=7
std::filesystem::path model_dir(const std::string& name) {
  const auto dir = wizard::test::temp_dir(name);
  write(dir / "tokenizer.json",
        tokenizer_json(bpe_model({"a", " ", ".", "'", "s"}, nlohmann::json::array()),
                       {{"added_tokens",
                         {added_token(5, "<s>", true), added_token(6, "</s>", true),
                          added_token(7, "<pad>", true)}},
                        {"decoder", {{"type", "Fuse"}}}}));
  return dir;
}

TEST(Pretrained, SpecialTokensFromTokenizerConfig) {
  const auto dir = model_dir("tokenizer-config");
  write(dir / "tokenizer_config.json",
        {{"bos_token", {{"__type", "AddedToken"}, {"content", "<s>"}, {"lstrip", false}}},
         {"eos_token", "</s>"},
         {"pad_token", nullptr},
         {"clean_up_tokenization_spaces", true}});
  write(dir / "config.json", {{"pad_token_id", 7}, {"eos_token_id", 5}});
  const auto tok = wizard::Tokenizer::from_pretrained(dir);
  EXPECT_EQ(tok.bos_token(), "<s>");
  EXPECT_EQ(tok.bos_token_id(), 5);
  EXPECT_EQ(tok.eos_token(), "</s>");
  EXPECT_EQ(tok.eos_token_id(), 6);     // the tokenizer config wins over config.json
  EXPECT_EQ(tok.pad_token(), "<pad>");  // null in the tokenizer config: config.json's id
  EXPECT_EQ(tok.pad_token_id(), 7);
  EXPECT_FALSE(tok.unk_token().has_value());
  EXPECT_TRUE(tok.clean_up_tokenization_spaces());
  // Fuse decoder: "a" + " " + "." -> "a ." -> cleaned "a.".
  EXPECT_EQ(tok.decode({0, 1, 2}, false), "a .");
  EXPECT_EQ(tok.transformers_decode({0, 1, 2}, false), "a.");
}

TEST(Pretrained, GenerationConfigIdsAreTheLastFallback) {
  const auto dir = model_dir("tokenizer-generation");
  write(dir / "generation_config.json", {{"bos_token_id", 5}, {"eos_token_id", {6, 5}}});
  const auto tok = wizard::Tokenizer::from_pretrained(dir);
  EXPECT_EQ(tok.bos_token(), "<s>");
  EXPECT_EQ(tok.eos_token_id(), 6);  // a list of EOS ids: the first one
  EXPECT_FALSE(tok.pad_token_id().has_value());
  EXPECT_FALSE(tok.clean_up_tokenization_spaces());  // transformers' default
  EXPECT_EQ(tok.transformers_decode({0, 1, 2}, false), "a .");
}

TEST(Pretrained, CleanUpTokenizationFollowsTransformers) {
  EXPECT_EQ(
      wizard::clean_up_tokenization("Hi , you ! Is n't it ? I 'm sure . It 's we 've they 're"),
      "Hi, you! Isn't it? I'm sure. It's we've they're");
  EXPECT_EQ(wizard::clean_up_tokenization("\"quoted\" 'single'"), "\"quoted\"'single'");
}

}  // namespace
