// The decoding loop: batched greedy decoding equals the argmax continuation of each prompt
// alone (full forward passes, no cache), rows stop at EOS ids, callbacks and length limits,
// sampling is reproducible by seed, and generation_config.json is read as transformers does.
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/model/generate.hpp"
#include "wizard/model/init_model.hpp"

using namespace wizard::model;

namespace {

CausalLM peaked_model(const std::string& name) {
  const auto dir = wizard::test::temp_dir(name) / "m";
  auto options = InitModelOptions::preset("tiny");
  options.initializer_range = 0.5;  // peaked distributions: argmax ties are unlikely
  options.seed = 5;
  init_model(dir, options);
  return CausalLM::from_pretrained(dir);
}

// The greedy continuation of one prompt by full forward passes.
std::vector<int32_t> argmax_continuation(const CausalLM& model, std::vector<int32_t> sequence,
                                         int64_t steps) {
  const std::size_t prompt = sequence.size();
  for (int64_t step = 0; step < steps; ++step) {
    const auto n = static_cast<int64_t>(sequence.size());
    const at::Tensor ids =
        at::tensor(std::vector<int64_t>(sequence.begin(), sequence.end())).view({1, n});
    const auto layout = AttentionLayout::padded(at::ones({1, n}, at::kLong));
    const at::Tensor logits = model.lm_head(model.forward(ids, layout.position_ids(), layout));
    sequence.push_back(static_cast<int32_t>(logits[0][n - 1].argmax().item<int64_t>()));
  }
  return {sequence.begin() + static_cast<std::ptrdiff_t>(prompt), sequence.end()};
}

const std::vector<std::vector<int32_t>> kPrompts{{10, 20, 30, 40, 50}, {7}, {100, 101}};

TEST(Generate, BatchedGreedyEqualsEachPromptAlone) {
  const CausalLM model = peaked_model("generate");
  GenerationConfig config;
  config.max_new_tokens = 6;
  const auto result = generate(model, kPrompts, config);
  ASSERT_EQ(result.sequences.size(), kPrompts.size());
  for (std::size_t r = 0; r < kPrompts.size(); ++r) {
    EXPECT_EQ(result.sequences[r].tokens, argmax_continuation(model, kPrompts[r], 6))
        << "prompt " << r;
    EXPECT_EQ(result.sequences[r].reason, StopReason::length);
  }
  EXPECT_EQ(result.stats.prompt_tokens, 8);
  EXPECT_EQ(result.stats.generated_tokens, 18);
  EXPECT_EQ(result.stats.decode_steps, 5);
}

TEST(Generate, ARowStoppedByEosLeavesTheOthersUnchanged) {
  const CausalLM model = peaked_model("generate-eos");
  const auto row0 = argmax_continuation(model, kPrompts[0], 6);
  GenerationConfig config;
  config.max_new_tokens = 6;
  config.eos_token_ids = {row0[1]};  // row 0 stops after its second token (or its first)
  const auto result = generate(model, kPrompts, config);
  const auto first = std::find(row0.begin(), row0.end(), row0[1]);
  EXPECT_EQ(result.sequences[0].tokens, std::vector<int32_t>(row0.begin(), first + 1));
  EXPECT_EQ(result.sequences[0].reason, StopReason::eos);
  for (std::size_t r = 1; r < kPrompts.size(); ++r) {
    auto alone = argmax_continuation(model, kPrompts[r], 6);
    const auto eos = std::find(alone.begin(), alone.end(), row0[1]);
    if (eos != alone.end()) alone.erase(eos + 1, alone.end());
    EXPECT_EQ(result.sequences[r].tokens, alone) << "prompt " << r;
  }
}

TEST(Generate, GreedyWrapperStopsAfterAStopToken) {
  const CausalLM model = peaked_model("generate-stop");
  GreedyOptions greedy;
  greedy.max_new_tokens = 5;
  const auto free_run = generate_greedy(model, {{1, 2, 3}}, greedy);
  ASSERT_EQ(free_run[0].size(), 5u);
  greedy.stop_ids = {free_run[0][1]};
  const auto stopped = generate_greedy(model, {{1, 2, 3}}, greedy);
  const auto first = std::find(free_run[0].begin(), free_run[0].end(), free_run[0][1]);
  EXPECT_EQ(stopped[0], std::vector<int32_t>(free_run[0].begin(), first + 1));
}

TEST(Generate, CallbackStopsItsRowAfterTheToken) {
  const CausalLM model = peaked_model("generate-callback");
  GenerationConfig config;
  config.max_new_tokens = 6;
  std::vector<std::size_t> calls(kPrompts.size(), 0);
  const auto result = generate(model, kPrompts, config, [&](std::size_t row, int32_t) {
    return ++calls[row] == 2 && row == 1;  // row 1 stops after its second token
  });
  EXPECT_EQ(result.sequences[1].tokens.size(), 2u);
  EXPECT_EQ(result.sequences[1].reason, StopReason::callback);
  EXPECT_EQ(calls[1], 2u);
  EXPECT_EQ(calls[0], 6u);
  EXPECT_EQ(result.sequences[0].tokens, argmax_continuation(model, kPrompts[0], 6));
}

TEST(Generate, MaxLengthCapsPromptPlusNewTokensPerRow) {
  const CausalLM model = peaked_model("generate-max-length");
  GenerationConfig config;
  config.max_new_tokens = 10;
  config.max_length = 6;  // prompts of 5, 1 and 2 tokens: 1, 5 and 4 new tokens
  const auto result = generate(model, kPrompts, config);
  EXPECT_EQ(result.sequences[0].tokens.size(), 1u);
  EXPECT_EQ(result.sequences[1].tokens.size(), 5u);
  EXPECT_EQ(result.sequences[2].tokens.size(), 4u);
}

TEST(Generate, MinNewTokensForbidsEosBeforeThem) {
  const CausalLM model = peaked_model("generate-min-new");
  const auto free_run = argmax_continuation(model, kPrompts[1], 1);
  GenerationConfig config;
  config.max_new_tokens = 4;
  config.eos_token_ids = {free_run[0]};  // greedy would stop at once
  config.min_new_tokens = 3;
  const auto result = generate(model, {kPrompts[1]}, config);
  ASSERT_GE(result.sequences[0].tokens.size(), 3u);
  for (std::size_t t = 0; t < 3; ++t) EXPECT_NE(result.sequences[0].tokens[t], free_run[0]);
}

TEST(Generate, SamplingIsReproducibleBySeedAndTopKOneIsGreedy) {
  const CausalLM model = peaked_model("generate-sample");
  GenerationConfig config;
  config.max_new_tokens = 12;
  config.do_sample = true;
  config.temperature = 5.0;  // flat distributions: different seeds diverge
  config.seed = 1;
  const auto a = generate(model, kPrompts, config);
  const auto b = generate(model, kPrompts, config);
  config.seed = 2;
  const auto c = generate(model, kPrompts, config);
  for (std::size_t r = 0; r < kPrompts.size(); ++r) {
    EXPECT_EQ(a.sequences[r].tokens, b.sequences[r].tokens);
  }
  EXPECT_NE(a.sequences[0].tokens, c.sequences[0].tokens);
  config.top_k = 1;
  const auto top1 = generate(model, kPrompts, config);
  EXPECT_EQ(top1.sequences[2].tokens, argmax_continuation(model, kPrompts[2], 12));
}

TEST(Generate, RefusesEmptyPromptsAndIdsOutsideTheVocabulary) {
  const CausalLM model = peaked_model("generate-refuse");
  GenerationConfig config;
  EXPECT_THROW(generate(model, {{}}, config), wizard::Error);
  EXPECT_THROW(generate(model, {{1, 100000}}, config), wizard::Error);
}

TEST(GenerationConfig, ReadsTransformersFieldsOverTheDefaults) {
  const auto config = GenerationConfig::from_json(nlohmann::json::parse(R"({
      "do_sample": true, "temperature": 0.7, "top_p": 0.8, "top_k": 20,
      "repetition_penalty": 1.05, "eos_token_id": [151645, 151643], "pad_token_id": 151643,
      "max_new_tokens": 100, "stop_strings": "###", "transformers_version": "4.51.3"})"));
  EXPECT_TRUE(config.do_sample);
  EXPECT_DOUBLE_EQ(config.temperature, 0.7);
  EXPECT_DOUBLE_EQ(config.top_p, 0.8);
  EXPECT_EQ(config.top_k, 20);
  EXPECT_DOUBLE_EQ(config.repetition_penalty, 1.05);
  EXPECT_EQ(config.eos_token_ids, (std::vector<int64_t>{151645, 151643}));
  EXPECT_EQ(config.pad_token_id, 151643);
  EXPECT_EQ(config.max_new_tokens, 100);
  EXPECT_EQ(config.stop_strings, std::vector<std::string>{"###"});
  EXPECT_DOUBLE_EQ(config.min_p, 0.0);  // untouched default
  EXPECT_EQ(
      GenerationConfig::from_json(nlohmann::json::parse(R"({"eos_token_id": 2})")).eos_token_ids,
      std::vector<int64_t>{2});
  EXPECT_THROW(GenerationConfig::from_json(nlohmann::json::parse(R"({"top_k": "many"})")),
               wizard::Error);
}

TEST(GenerationConfig, ValidateNamesTheFieldOutOfRange) {
  GenerationConfig config;
  config.do_sample = true;
  config.top_p = 1.5;
  const std::string message = wizard::test::config_error_of([&] { config.validate(); });
  EXPECT_NE(message.find("top_p = 1.5"), std::string::npos) << message;
  config.do_sample = false;  // greedy ignores the sampling options
  EXPECT_NO_THROW(config.validate());
  config.max_new_tokens = -1;
  EXPECT_NE(wizard::test::config_error_of([&] { config.validate(); }).find("max_new_tokens"),
            std::string::npos);
}

TEST(GenerationConfig, FromModelFallsBackToTheModelConfigsEos) {
  const CausalLM model = peaked_model("generate-from-model");
  const auto config = GenerationConfig::from_model(model);
  EXPECT_EQ(config.eos_token_ids, model.config().eos_token_ids);
}

}  // namespace
