// Post-processors: which ids are added around the sequence, and only on request.
#include <gtest/gtest.h>

#include "snippets.hpp"

namespace {

using Ids = std::vector<std::int32_t>;
using wizard::test::bpe_model;
using wizard::test::tokenizer_from;
using wizard::test::tokenizer_json;

// a=0 b=1 [CLS]=2 [SEP]=3
wizard::Tokenizer with_post_processor(const nlohmann::json& post_processor) {
  return tokenizer_from(
      tokenizer_json(bpe_model({"a", "b", "[CLS]", "[SEP]"}, nlohmann::json::array()),
                     {{"post_processor", post_processor}}));
}

const nlohmann::json kSpecialTokens = {
    {"[CLS]", {{"id", "[CLS]"}, {"ids", {2}}, {"tokens", {"[CLS]"}}}},
    {"[SEP]", {{"id", "[SEP]"}, {"ids", {3}}, {"tokens", {"[SEP]"}}}}};

TEST(PostProcessor, TemplateProcessingAddsSpecialTokensOnRequest) {
  const nlohmann::json spec = {{"type", "TemplateProcessing"},
                               {"single",
                                {{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}},
                                 {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                 {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}}}},
                               {"pair", nlohmann::json::array()},
                               {"special_tokens", kSpecialTokens}};
  const auto tok = with_post_processor(spec);
  EXPECT_EQ(tok.encode("ab", true), (Ids{2, 0, 1, 3}));
  EXPECT_EQ(tok.encode("ab", false), (Ids{0, 1}));
}

TEST(PostProcessor, TemplateInItsStringForm) {
  const nlohmann::json spec = {{"type", "TemplateProcessing"},
                               {"single", "[CLS]:0 $A:0 [SEP]"},
                               {"special_tokens", kSpecialTokens}};
  EXPECT_EQ(with_post_processor(spec).encode("ba", true), (Ids{2, 1, 0, 3}));
}

TEST(PostProcessor, BertRobertaByteLevelAndSequence) {
  const nlohmann::json bert = {
      {"type", "BertProcessing"}, {"cls", {"[CLS]", 2}}, {"sep", {"[SEP]", 3}}};
  EXPECT_EQ(with_post_processor(bert).encode("a", true), (Ids{2, 0, 3}));
  const nlohmann::json roberta = {{"type", "RobertaProcessing"},
                                  {"cls", {"[CLS]", 2}},
                                  {"sep", {"[SEP]", 3}},
                                  {"trim_offsets", true},
                                  {"add_prefix_space", true}};
  EXPECT_EQ(with_post_processor(roberta).encode("a", true), (Ids{2, 0, 3}));
  // ByteLevel only fixes offsets; in a Sequence the template still applies (as Llama-3 files do).
  const nlohmann::json byte_level = {{"type", "ByteLevel"},
                                     {"add_prefix_space", true},
                                     {"trim_offsets", false},
                                     {"use_regex", true}};
  EXPECT_EQ(with_post_processor(byte_level).encode("a", true), (Ids{0}));
  const nlohmann::json sequence = {{"type", "Sequence"}, {"processors", {byte_level, bert}}};
  EXPECT_EQ(with_post_processor(sequence).encode("a", true), (Ids{2, 0, 3}));
}

}  // namespace
