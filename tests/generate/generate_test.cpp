// Greedy decoding of a left-padded batch gives, row by row, the argmax
// continuation of each prompt computed on its own.
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "wizard/model/generate.hpp"
#include "wizard/model/init_model.hpp"

using namespace wizard::model;

TEST(GenerateGreedy, BatchedEqualsOneByOne) {
  const auto dir = wizard::test::temp_dir("generate") / "m";
  auto options = InitModelOptions::preset("tiny");
  options.initializer_range = 0.5;  // peaked distributions: argmax ties are unlikely
  options.seed = 5;
  init_model(dir, options);
  const CausalLM model = CausalLM::from_pretrained(dir);
  const std::vector<std::vector<int32_t>> prompts{{10, 20, 30, 40, 50}, {7}, {100, 101}};
  GreedyOptions greedy;
  greedy.max_new_tokens = 6;
  const auto batched = generate_greedy(model, prompts, greedy);
  ASSERT_EQ(batched.size(), prompts.size());
  for (std::size_t r = 0; r < prompts.size(); ++r) {
    std::vector<int32_t> sequence = prompts[r];
    for (int step = 0; step < greedy.max_new_tokens; ++step) {
      const auto n = static_cast<int64_t>(sequence.size());
      const at::Tensor ids =
          at::tensor(std::vector<int64_t>(sequence.begin(), sequence.end())).view({1, n});
      const auto layout = AttentionLayout::padded(at::ones({1, n}, at::kLong));
      const at::Tensor logits = model.lm_head(model.forward(ids, layout.position_ids(), layout));
      sequence.push_back(static_cast<int32_t>(logits[0][n - 1].argmax().item<int64_t>()));
    }
    const std::vector<int32_t> expected(sequence.begin() + prompts[r].size(), sequence.end());
    EXPECT_EQ(batched[r], expected) << "prompt " << r;
  }
}

TEST(GenerateGreedy, StopsAfterAStopToken) {
  const auto dir = wizard::test::temp_dir("generate-stop") / "m";
  init_model(dir, InitModelOptions::preset("tiny"));
  const CausalLM model = CausalLM::from_pretrained(dir);
  GreedyOptions greedy;
  greedy.max_new_tokens = 5;
  const auto free_run = generate_greedy(model, {{1, 2, 3}}, greedy);
  ASSERT_EQ(free_run[0].size(), 5u);
  greedy.stop_ids = {free_run[0][1]};  // the second token generated
  const auto stopped = generate_greedy(model, {{1, 2, 3}}, greedy);
  // Stops at the first occurrence of the stop token (it may also be the first token).
  const auto first = std::find(free_run[0].begin(), free_run[0].end(), free_run[0][1]);
  EXPECT_EQ(stopped[0], std::vector<int32_t>(free_run[0].begin(), first + 1));
}
