// A CPO loss plugin's compute on realistic [B] log-prob tensors (sigmoid and SimPO, with
// the NLL term), forward + backward: the per-step loss overhead, independent of the model.
#include <torch/csrc/autograd/autograd.h>

#include "bench_support.hpp"
#include "wizard/preference/cpo_loss.hpp"

namespace wizard::bench {
namespace {

void BM_CpoLoss(benchmark::State& state) {
  use_bench_threads();
  const bool simpo = state.range(0) == 1;
  const int64_t pairs = state.range(1);
  const at::Tensor chosen = (-at::rand({pairs}) * 200).requires_grad_(true);
  const at::Tensor rejected = (-at::rand({pairs}) * 200).requires_grad_(true);
  const at::Tensor nll = at::rand({}).requires_grad_(true);
  preference::CpoLossSettings settings;
  settings.loss_type = simpo ? preference::CpoLossType::Simpo : preference::CpoLossType::Sigmoid;
  settings.reduction = simpo ? preference::LogpReduction::Average : preference::LogpReduction::Sum;
  settings.gamma_logratios = simpo ? 0.5 / settings.beta : 0.0;
  for (auto _ : state) {
    PreferenceLogps logps{chosen, rejected, at::full({pairs}, 100.0), at::full({pairs}, 120.0),
                          nll};
    const auto margin = preference::cpo_margin(logps, settings.reduction, settings.alpha);
    const at::Tensor losses =
        simpo ? preference::simpo_losses(margin.logits, settings)
              : preference::sigmoid_losses(margin.logits, settings.beta, settings.label_smoothing);
    const PreferenceLoss loss =
        preference::assemble_cpo_loss(margin, losses, settings.beta, settings.cpo_alpha, nll);
    const auto grads = torch::autograd::grad({loss.loss}, {chosen, rejected, nll});
    benchmark::DoNotOptimize(grads.data());
  }
}
BENCHMARK(BM_CpoLoss)
    ->ArgNames({"simpo", "pairs"})
    ->ArgsProduct({{0, 1}, {2, 16}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace wizard::bench
