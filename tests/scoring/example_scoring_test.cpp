// score_examples with several negatives per example: every answer's score equals the score
// of the same (prompt, answer) scored alone as a TRL pair, in the packed, shared-prefix layout
// and in TRL's padded layout (K pairs per example), with the mask marking missing negatives;
// sharing computes each prompt once; gradients agree between layouts.
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include "test_device.hpp"
#include "test_support.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/preference/answer_scores.hpp"
#include "wizard/preference/example_scoring.hpp"

using wizard::TokenizedPreference;
using wizard::model::CausalLM;
using namespace wizard::preference;

namespace {

// Every golden model with the token sequences of its `cpo` batch (rows chosen_0..n-1, then
// rejected_0..n-1, and each row's prompt length).
struct GoldenSequences {
  std::string model;
  std::vector<std::vector<int32_t>> rows;
  std::vector<std::size_t> prompt_lengths;
};

std::vector<GoldenSequences> golden_sequences() {
  const auto file = wizard::test::read_json(wizard::test::refs_dir() / "cpo_losses.json");
  std::vector<GoldenSequences> out;
  for (const auto& [name, entry] : file["models"].items()) {
    GoldenSequences g{name, {}, {}};
    const auto& mask = entry["concatenated_attention_mask"];
    for (std::size_t r = 0; r < mask.size(); ++r) {
      std::vector<int32_t> ids;
      for (std::size_t t = 0; t < mask[r].size(); ++t) {
        if (mask[r][t] == 1) ids.push_back(entry["concatenated_input_ids"][r][t]);
      }
      g.rows.push_back(ids);
      g.prompt_lengths.push_back(entry["prompt_lens"][r]);
    }
    out.push_back(g);
  }
  return out;
}

SequenceRef ref(const GoldenSequences& g, std::size_t row) {
  return {&g.rows[row], g.prompt_lengths[row]};
}

// Example i: chosen row i; negatives: rejected row i, then (for even i) the other rows'
// rejected answers too, so that examples have different numbers of negatives.
std::vector<ExampleToScore> examples_of(const GoldenSequences& g) {
  const std::size_t n = g.rows.size() / 2;
  std::vector<ExampleToScore> examples;
  for (std::size_t i = 0; i < n; ++i) {
    ExampleToScore example{ref(g, i), {ref(g, n + i)}};
    if (i % 2 == 0) {
      for (std::size_t j = 0; j < n; ++j) {
        if (j != i) example.negatives.push_back(ref(g, n + j));
      }
    }
    examples.push_back(example);
  }
  return examples;
}

CausalLM golden_model(const std::string& name) {
  return CausalLM::from_pretrained(wizard::test::refs_dir() / "models" / name, at::kFloat,
                                   wizard::test::test_device());
}

// The score of one (chosen, negative) pair scored on its own, with TRL's padded layout.
std::pair<double, double> pair_scores(const CausalLM& model, const SequenceRef& chosen,
                                      const SequenceRef& negative) {
  PairScoringOptions padded;
  padded.layout = PairLayout::padded;
  const ExampleScores s = score_examples(model, {{chosen, {negative}}}, padded, false);
  return {s.chosen_logps_sum[0].item<double>(), s.negative_logps_sum[0][0].item<double>()};
}

TEST(ExampleScoring, EveryAnswerScoresAsItsOwnPairInBothLayouts) {
  const double tolerance = wizard::test::device_tolerance(3e-4);
  for (const GoldenSequences& g : golden_sequences()) {
    SCOPED_TRACE(g.model);
    const CausalLM model = golden_model(g.model);
    const auto examples = examples_of(g);
    at::NoGradGuard no_grad;
    PairScoringOptions padded;
    padded.layout = PairLayout::padded;
    for (const PairScoringOptions& options : {PairScoringOptions{}, padded}) {
      const ExampleScores s = score_examples(model, examples, options);
      const int64_t k_max = s.negative_mask.size(1);
      for (std::size_t i = 0; i < examples.size(); ++i) {
        const auto& example = examples[i];
        for (int64_t k = 0; k < k_max; ++k) {
          const bool present = k < static_cast<int64_t>(example.negatives.size());
          ASSERT_EQ(s.negative_mask[i][k].item<bool>(), present) << i << "," << k;
          if (!present) {
            EXPECT_EQ(s.negative_logps_sum[i][k].item<double>(), 0);
            EXPECT_EQ(s.negative_tokens[i][k].item<double>(), 1);
            continue;
          }
          const auto [chosen, negative] = pair_scores(model, example.chosen, example.negatives[k]);
          EXPECT_NEAR(s.chosen_logps_sum[i].item<double>(), chosen, tolerance);
          EXPECT_NEAR(s.negative_logps_sum[i][k].item<double>(), negative, tolerance);
          const auto& ids = *example.negatives[k].ids;
          EXPECT_EQ(s.negative_tokens[i][k].item<double>(),
                    static_cast<double>(ids.size() - example.negatives[k].prompt_length));
        }
      }
    }
  }
}

TEST(ExampleScoring, PreferenceScoresAreWhatALossReceives) {
  const GoldenSequences g = golden_sequences().front();
  const CausalLM model = golden_model(g.model);
  at::NoGradGuard no_grad;
  const ExampleScores s = score_examples(model, examples_of(g), {});
  const wizard::PreferenceScores p = preference_scores_of(s);
  EXPECT_NO_THROW(check_preference_scores(p));
  EXPECT_GT(p.negative_mask.size(1), 1);  // several negatives, some masked
  EXPECT_FALSE(p.negative_mask.all().item<bool>());
  EXPECT_TRUE(p.chosen_logps_sum.is_same(s.chosen_logps_sum));
  EXPECT_TRUE(p.chosen_tokens.is_same(s.chosen_tokens));
  EXPECT_TRUE(p.negative_logps_sum.is_same(s.negative_logps_sum));
  EXPECT_TRUE(p.negative_tokens.is_same(s.negative_tokens));
  EXPECT_TRUE(p.negative_mask.is_same(s.negative_mask));
  EXPECT_TRUE(p.nll_loss.is_same(s.nll_loss));
  EXPECT_FALSE(p.reference_chosen_logps_sum.defined());
  EXPECT_FALSE(p.reference_negative_logps_sum.defined());
}

TEST(ExampleScoring, APromptWithKNegativesIsComputedOnce) {
  const GoldenSequences g = golden_sequences().front();
  const CausalLM model = golden_model(g.model);
  const std::size_t n = g.rows.size() / 2;
  // One example: chosen 0 and the rejected answer repeated three times after the same prompt.
  const ExampleToScore three{ref(g, 0), {ref(g, n), ref(g, n), ref(g, n)}};
  at::NoGradGuard no_grad;
  const ScoringWork shared = score_examples(model, {three}, {}).work;
  PairScoringOptions padded;
  padded.layout = PairLayout::padded;
  const ScoringWork trl = score_examples(model, {three}, padded).work;
  // Packed: the shared start once, then the chosen rest and three negative rests.
  const auto& chosen = g.rows[0];
  const auto& negative = g.rows[n];
  std::size_t common = 0;
  while (common < std::min(chosen.size(), negative.size()) && chosen[common] == negative[common])
    ++common;
  EXPECT_EQ(shared.tokens_computed,
            static_cast<int64_t>(chosen.size() + 3 * negative.size() - 3 * common));
  EXPECT_EQ(shared.tokens_real, static_cast<int64_t>(chosen.size() + 3 * negative.size()));
  // TRL: three pairs, each [chosen; negative] padded to the longer.
  EXPECT_EQ(trl.tokens_computed,
            static_cast<int64_t>(6 * std::max(chosen.size(), negative.size())));
}

TEST(ExampleScoring, GradientsOfBothLayoutsAgree) {
  for (const GoldenSequences& g : golden_sequences()) {
    SCOPED_TRACE(g.model);
    CausalLM model = golden_model(g.model);
    model.set_requires_grad(true);
    const auto examples = examples_of(g);
    PairScoringOptions padded;
    padded.layout = PairLayout::padded;
    std::vector<std::vector<at::Tensor>> grads;
    for (const PairScoringOptions& options : {PairScoringOptions{}, padded}) {
      const ExampleScores s = score_examples(model, examples, options);
      // A loss that reads every score: a softmax over each example's answers plus the NLL.
      const at::Tensor logits =
          at::cat({s.chosen_logps_sum.unsqueeze(1),
                   s.negative_logps_sum.masked_fill(s.negative_mask.logical_not(), -1e4)},
                  1);
      const at::Tensor loss = -at::log_softmax(0.1 * logits, 1).select(1, 0).mean() + s.nll_loss;
      loss.backward();
      std::vector<at::Tensor> g_now;
      for (const auto& p : model.parameters()) {
        g_now.push_back(p.grad().clone());
        p.mutable_grad().zero_();
      }
      grads.push_back(g_now);
    }
    for (std::size_t p = 0; p < grads[0].size(); ++p) {
      EXPECT_TRUE(at::allclose(grads[1][p], grads[0][p], wizard::test::device_tolerance(1e-4),
                               wizard::test::device_tolerance(1e-5)))
          << "parameter " << model.named_parameters()[p].first << " max diff "
          << (grads[1][p] - grads[0][p]).abs().max().item<double>();
    }
  }
}

}  // namespace
