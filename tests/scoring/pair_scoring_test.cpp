// score_pairs against cpo_losses.json (TRL's per-sequence log-probs on the
// golden models) in every layout, and the layouts against each other,
// gradients included.
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include "test_device.hpp"
#include "test_support.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/preference/pair_scoring.hpp"
#include "wizard/preference/selected_logprobs.hpp"

namespace fs = std::filesystem;
using wizard::TokenizedPreference;
using wizard::model::CausalLM;
using namespace wizard::preference;

namespace {

struct GoldenBatch {
  std::string model;
  std::vector<TokenizedPreference> pairs;
  std::vector<double> logps_sum;  // chosen rows then rejected rows
  std::vector<double> scored;
  double nll = 0;  // TRL's NLL (a float32 case with cpo_alpha != 0)
};

// The `cpo` batch of each model: rows chosen_0..n-1, rejected_0..n-1, right padded.
std::vector<GoldenBatch> golden_batches() {
  const auto file = wizard::test::read_json(wizard::test::refs_dir() / "cpo_losses.json");
  std::vector<GoldenBatch> out;
  for (const auto& [name, entry] : file["models"].items()) {
    GoldenBatch batch{name, {}, {}, {}, 0};
    const int64_t n = entry["n_pairs"];
    auto row = [&](int64_t r) {
      std::vector<int32_t> ids;
      const auto& mask = entry["concatenated_attention_mask"][r];
      for (std::size_t t = 0; t < mask.size(); ++t) {
        if (mask[t] == 1) ids.push_back(entry["concatenated_input_ids"][r][t]);
      }
      return ids;
    };
    for (int64_t i = 0; i < n; ++i) {
      TokenizedPreference pair;
      pair.chosen_input_ids = row(i);
      pair.rejected_input_ids = row(n + i);
      pair.chosen_prompt_length = entry["prompt_lens"][i];
      pair.rejected_prompt_length = entry["prompt_lens"][n + i];
      batch.pairs.push_back(pair);
    }
    batch.logps_sum = entry["per_sequence_float32"]["logps_sum"].get<std::vector<double>>();
    batch.scored = entry["per_sequence_float32"]["n_scored_tokens"].get<std::vector<double>>();
    for (const auto& c : entry["cases"]) {
      if (c["logits_dtype"] == "float32" && c["effective"]["cpo_alpha"].get<double>() != 0) {
        batch.nll = c["nll_loss"];
        break;
      }
    }
    out.push_back(batch);
  }
  return out;
}

std::vector<const TokenizedPreference*> pointers(const std::vector<TokenizedPreference>& pairs) {
  std::vector<const TokenizedPreference*> out;
  for (const auto& pair : pairs) out.push_back(&pair);
  return out;
}

struct Layout {
  const char* name;
  PairScoringOptions options;
};

std::vector<Layout> layouts() {
  PairScoringOptions packed;
  PairScoringOptions unshared;
  unshared.share_prefix = false;
  PairScoringOptions tiny_chunks;
  tiny_chunks.logits_chunk_size = 3;
  PairScoringOptions padded;
  padded.layout = PairLayout::padded;
  PairScoringOptions padded_full = padded;
  padded_full.full_logits = true;
  return {{"packed", packed},
          {"packed-unshared", unshared},
          {"packed-chunk3", tiny_chunks},
          {"padded", padded},
          {"padded-full-logits", padded_full}};
}

}  // namespace

TEST(PairScoring, EveryLayoutReproducesTrlsLogprobs) {
  const auto batches = golden_batches();
  ASSERT_FALSE(batches.empty());
  const double tolerance = wizard::test::device_tolerance(3e-4);
  for (const auto& golden : batches) {
    const CausalLM model =
        CausalLM::from_pretrained(wizard::test::refs_dir() / "models" / golden.model, at::kFloat,
                                  wizard::test::test_device());
    const int64_t n = static_cast<int64_t>(golden.pairs.size());
    for (const auto& layout : layouts()) {
      SCOPED_TRACE(golden.model + " / " + layout.name);
      at::NoGradGuard no_grad;
      const PairScores s = score_pairs(model, pointers(golden.pairs), layout.options);
      for (int64_t i = 0; i < n; ++i) {
        // Logits agree with transformers to 1e-4; a sum of a few log-probs to ~1e-4.
        EXPECT_NEAR(s.logps.chosen_logps_sum[i].item<double>(), golden.logps_sum[i], tolerance);
        EXPECT_NEAR(s.logps.negative_logps_sum[i][0].item<double>(), golden.logps_sum[n + i],
                    tolerance);
        EXPECT_EQ(s.logps.chosen_tokens[i].item<double>(), golden.scored[i]);
        EXPECT_EQ(s.logps.negative_tokens[i][0].item<double>(), golden.scored[n + i]);
      }
      if (golden.nll != 0) {
        EXPECT_NEAR(s.logps.nll_loss.item<double>(), golden.nll,
                    wizard::test::device_tolerance(1e-4));
      }
    }
  }
}

TEST(PairScoring, SharingThePrefixComputesFewerPositions) {
  for (const auto& golden : golden_batches()) {
    const CausalLM model =
        CausalLM::from_pretrained(wizard::test::refs_dir() / "models" / golden.model, at::kFloat,
                                  wizard::test::test_device());
    at::NoGradGuard no_grad;
    PairScoringOptions unshared;
    unshared.share_prefix = false;
    PairScoringOptions padded;
    padded.layout = PairLayout::padded;
    const auto shared_scores = score_pairs(model, pointers(golden.pairs), {});
    const auto unshared_scores = score_pairs(model, pointers(golden.pairs), unshared);
    const auto padded_scores = score_pairs(model, pointers(golden.pairs), padded);
    EXPECT_EQ(unshared_scores.work.tokens_computed,
              unshared_scores.work.tokens_real);  // no padding
    EXPECT_LT(shared_scores.work.tokens_computed, unshared_scores.work.tokens_computed);
    EXPECT_GT(padded_scores.work.tokens_computed, padded_scores.work.tokens_real);
    EXPECT_EQ(shared_scores.work.tokens_real, padded_scores.work.tokens_real);
  }
}

TEST(PairScoring, GradientsOfAllLayoutsAgree) {
  for (const auto& golden : golden_batches()) {
    SCOPED_TRACE(golden.model);
    CausalLM model = CausalLM::from_pretrained(wizard::test::refs_dir() / "models" / golden.model,
                                               at::kFloat, wizard::test::test_device());
    model.set_requires_grad(true);
    std::vector<std::vector<at::Tensor>> grads;
    for (const auto& layout : layouts()) {
      const PairScores s = score_pairs(model, pointers(golden.pairs), layout.options);
      // A loss that uses every output: a sigmoid margin plus the NLL.
      const at::Tensor loss = -at::log_sigmoid(0.1 * (s.logps.chosen_logps_sum -
                                                      s.logps.negative_logps_sum.select(1, 0)))
                                   .mean() +
                              s.logps.nll_loss;
      loss.backward();
      std::vector<at::Tensor> g;
      for (const auto& p : model.parameters()) {
        g.push_back(p.grad().clone());
        p.mutable_grad().zero_();
      }
      grads.push_back(g);
    }
    for (std::size_t l = 1; l < grads.size(); ++l) {
      for (std::size_t p = 0; p < grads[0].size(); ++p) {
        EXPECT_TRUE(at::allclose(grads[l][p], grads[0][p], wizard::test::device_tolerance(1e-4),
                                 wizard::test::device_tolerance(1e-5)))
            << layouts()[l].name << " vs packed, parameter " << model.named_parameters()[p].first
            << " max diff " << (grads[l][p] - grads[0][p]).abs().max().item<double>();
      }
    }
  }
}

TEST(SelectedLogprobs, MatchesLogSoftmaxWithGradients) {
  // Random hidden states and head; chunks of 2 over 7 rows against the plain formula.
  at::manual_seed(0);
  const at::Tensor hidden = at::randn({7, 16}, at::kDouble).requires_grad_(true);
  const at::Tensor weight = at::randn({11, 16}, at::kDouble).requires_grad_(true);
  const at::Tensor labels = at::randint(0, 11, {7}, at::kLong);
  const at::Tensor h32 = hidden.detach().to(at::kFloat).requires_grad_(true);
  const at::Tensor w32 = weight.detach().to(at::kFloat).requires_grad_(true);
  const auto chunked = selected_logprobs(h32, w32, labels, 2);
  const at::Tensor reference =
      at::log_softmax(at::matmul(hidden, weight.t()), 1).gather(1, labels.unsqueeze(1)).squeeze(1);
  EXPECT_TRUE(at::allclose(chunked.logps.to(at::kDouble), reference, 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(chunked.logit_sums, at::matmul(hidden, weight.t()).sum(1), 1e-4, 1e-4));
  const at::Tensor upstream = at::randn({7}, at::kDouble);
  (chunked.logps.to(at::kDouble) * upstream).sum().backward();
  (reference * upstream).sum().backward();
  EXPECT_TRUE(at::allclose(h32.grad().to(at::kDouble), hidden.grad(), 1e-4, 1e-5));
  EXPECT_TRUE(at::allclose(w32.grad().to(at::kDouble), weight.grad(), 1e-4, 1e-5));
}
