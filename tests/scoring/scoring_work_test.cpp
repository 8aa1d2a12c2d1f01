// The work counts score_pairs reports (tokens, LM-head positions, attention pairs) on a
// hand-counted micro-batch, and the FLOP formula's parameter count against a loaded model.
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include "test_device.hpp"
#include "test_support.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/init_model.hpp"
#include "wizard/preference/pair_scoring.hpp"

using wizard::TokenizedPreference;
using wizard::model::CausalLM;
using namespace wizard::preference;

namespace {

// A tiny model of our own: the counts depend on the batch, not on the weights.
CausalLM tiny_model() {
  static const std::filesystem::path folder = [] {
    wizard::model::InitModelOptions options;
    options.hidden_size = 8;
    options.intermediate_size = 16;
    options.num_hidden_layers = 1;
    options.num_attention_heads = 2;
    options.num_key_value_heads = 1;
    const auto dir = wizard::test::temp_dir("scoring-work-model");
    wizard::model::init_model(dir, options);
    return dir;
  }();
  return CausalLM::from_pretrained(folder, at::kFloat, wizard::test::test_device());
}

// Every golden model (they differ in biases, tying, q/k norms and head sizes).
std::vector<std::filesystem::path> golden_models() {
  std::vector<std::filesystem::path> folders;
  for (const auto& entry :
       std::filesystem::directory_iterator(wizard::test::refs_dir() / "models")) {
    if (std::filesystem::exists(entry.path() / "config.json")) folders.push_back(entry.path());
  }
  return folders;
}

// Prompt [1 2 3]; chosen answer [4 5], rejected answer [6].
TokenizedPreference hand_pair() {
  TokenizedPreference pair;
  pair.prompt_input_ids = {1, 2, 3};
  pair.chosen_input_ids = {1, 2, 3, 4, 5};
  pair.rejected_input_ids = {1, 2, 3, 6};
  pair.chosen_prompt_length = 3;
  pair.rejected_prompt_length = 3;
  return pair;
}

ScoringWork work_of(const PairScoringOptions& options) {
  const CausalLM model = tiny_model();
  const TokenizedPreference pair = hand_pair();
  at::NoGradGuard no_grad;
  return score_pairs(model, {&pair}, options).work;
}

}  // namespace

TEST(ScoringWork, PackedSharedCountsThePromptOnce) {
  const ScoringWork work = work_of({});
  EXPECT_EQ(work.tokens_real, 9);      // 5 + 4, prompts included
  EXPECT_EQ(work.tokens_computed, 6);  // [1 2 3 | 4 5 | 6]
  EXPECT_EQ(work.lm_head_positions, 3);
  // Prompt: 1+2+3; chosen rest: 2 x 3 prompt keys + 1+2; rejected rest: 3 + 1.
  EXPECT_EQ(work.attention_pairs, 6 + 9 + 4);
}

TEST(ScoringWork, PackedUnsharedComputesBothSequences) {
  PairScoringOptions options;
  options.share_prefix = false;
  const ScoringWork work = work_of(options);
  EXPECT_EQ(work.tokens_computed, 9);
  EXPECT_EQ(work.attention_pairs, 15 + 10);
}

TEST(ScoringWork, PaddedCountsPaddingAndFullLogits) {
  PairScoringOptions options;
  options.layout = PairLayout::padded;
  options.full_logits = true;
  const ScoringWork work = work_of(options);
  EXPECT_EQ(work.tokens_real, 9);
  EXPECT_EQ(work.tokens_computed, 10);    // two rows of 5
  EXPECT_EQ(work.lm_head_positions, 10);  // logits everywhere
  EXPECT_EQ(work.attention_pairs, 2 * 15);
}

TEST(ScoringWork, NonEmbeddingParametersMatchEveryGoldenModel) {
  const auto folders = golden_models();
  ASSERT_FALSE(folders.empty());
  for (const auto& folder : folders) {
    SCOPED_TRACE(folder.filename().string());
    const CausalLM model = CausalLM::from_pretrained(folder, at::kFloat);
    int64_t counted = 0;
    for (const auto& [name, tensor] : model.named_parameters()) {
      if (name != "model.embed_tokens.weight" && name != "lm_head.weight")
        counted += tensor.numel();
    }
    EXPECT_EQ(non_embedding_parameters(model.config()), counted);
  }
}

TEST(ScoringWork, FlopsFollowTheFormula) {
  const CausalLM model = tiny_model();
  const auto& config = model.config();
  ScoringWork work;
  work.tokens_computed = 10;
  work.lm_head_positions = 4;
  work.attention_pairs = 30;
  const double n = static_cast<double>(non_embedding_parameters(config));
  const double head = static_cast<double>(config.vocab_size * config.hidden_size);
  const double width =
      static_cast<double>(config.num_hidden_layers * config.num_attention_heads * config.head_dim);
  EXPECT_DOUBLE_EQ(training_flops(config, work), 60 * n + 24 * head + 360 * width);
}
