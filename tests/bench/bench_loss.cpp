// The sigmoid and SimPO loss math on realistic log-prob tensors, K negatives per example, with
// the NLL term, forward + backward: the per-step loss overhead, independent of the model.
#include <torch/csrc/autograd/autograd.h>

#include "bench_support.hpp"
#include "wizard/preference/loss_assembly.hpp"
#include "wizard/preference/multi_negative.hpp"

namespace wizard::bench {
namespace {

void BM_PreferenceLoss(benchmark::State& state) {
  use_bench_threads();
  const bool simpo = state.range(0) == 1;
  const int64_t examples = state.range(1);
  const int64_t negatives = state.range(2);
  const at::Tensor chosen = (-at::rand({examples}) * 200).requires_grad_(true);
  const at::Tensor rejected = (-at::rand({examples, negatives}) * 200).requires_grad_(true);
  const at::Tensor nll = at::rand({}).requires_grad_(true);
  const auto reduction =
      simpo ? preference::ScoreReduction::Average : preference::ScoreReduction::Sum;
  const double beta = simpo ? 2.0 : 0.1;
  for (auto _ : state) {
    PreferenceScores in;
    in.chosen_logps_sum = chosen;
    in.chosen_tokens = at::full({examples}, 100.0);
    in.negative_logps_sum = rejected;
    in.negative_tokens = at::full({examples, negatives}, 120.0);
    in.negative_mask = at::ones({examples, negatives}, at::kBool);
    in.nll_loss = nll;
    const auto scores = preference::answer_scores(in, reduction);
    const at::Tensor z = preference::pairwise_logits(scores, beta, simpo ? 0.5 / beta : 0.0);
    const at::Tensor losses = preference::sigmoid_preference_losses(
        z, scores.mask, preference::MultiNegative::pairwise, 1.0, 0.0);
    const PreferenceLoss loss =
        preference::assemble_preference_loss(scores, scores, losses, beta, {}, nll);
    const auto grads = torch::autograd::grad({loss.loss}, {chosen, rejected, nll});
    benchmark::DoNotOptimize(grads.data());
  }
}
BENCHMARK(BM_PreferenceLoss)
    ->ArgNames({"simpo", "examples", "negatives"})
    ->ArgsProduct({{0, 1}, {2, 16}, {1, 4}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace wizard::bench
