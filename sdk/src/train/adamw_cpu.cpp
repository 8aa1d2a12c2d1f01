#include "train/adamw_cpu.hpp"
#include "train/adamw_cpu_element.hpp"

#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "wizard/base/error.hpp"

namespace wizard::train::detail {

namespace {

constexpr int64_t kGrain = 32768;        // elements per parallel task
constexpr int64_t kNormBlock = 1 << 16;  // elements per partial sum of the norm

// Elements [begin, end) of the update (adamw_element's arithmetic).
template <class P, Master kMaster, bool kAcc, bool kGrad>
WIZARD_VECTOR_CLONES void step_range(P* __restrict parameter, float* __restrict master,
                                     std::int16_t* __restrict master_low,
                                     const float* __restrict accumulator, const P* __restrict grad,
                                     float* __restrict exp_avg, float* __restrict exp_avg_sq,
                                     const AdamWScalars s, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    const float g = gradient_at<P, kAcc, kGrad>(accumulator, grad, i) * s.grad_scale;
    float m = exp_avg[i];
    float v = exp_avg_sq[i];
    const float p =
        adamw_element(load_master<P, kMaster>(parameter, master, master_low, i), g, m, v, s);
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    store_master<P, kMaster>(parameter, master, master_low, i, p);
  }
}

// Sixteen float lanes over runs of kRun elements (64 terms per lane keep the float sums within
// a few 1e-6), each run added into a double: vectorises, and the order is fixed by the block.
template <class G, bool kAcc, bool kGrad>
WIZARD_VECTOR_CLONES double block_sum_of_squares(const float* accumulator, const G* grad,
                                                 int64_t begin, int64_t end) {
  constexpr int64_t kLanes = 16;
  constexpr int64_t kRun = 1024;
  double total = 0;
  int64_t i = begin;
  for (; i + kRun <= end; i += kRun) {
    float lanes[kLanes] = {};
    for (int64_t j = 0; j < kRun; j += kLanes) {
      for (int64_t lane = 0; lane < kLanes; ++lane) {
        const float g = gradient_at<G, kAcc, kGrad>(accumulator, grad, i + j + lane);
        lanes[lane] += g * g;
      }
    }
    double run = 0;
    for (float lane : lanes) run += lane;
    total += run;
  }
  for (; i < end; ++i) {
    const double g = gradient_at<G, kAcc, kGrad>(accumulator, grad, i);
    total += g * g;
  }
  return total;
}

template <class G, bool kAcc, bool kGrad>
double sum_of_squares(const at::Tensor& accumulator, const at::Tensor& grad, int64_t numel) {
  const float* a = data<float>(accumulator);
  const G* g = data<G>(grad);
  const int64_t blocks = (numel + kNormBlock - 1) / kNormBlock;
  std::vector<double> partial(blocks, 0.0);
  at::parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t block = first; block < last; ++block) {
      const int64_t begin = block * kNormBlock;
      partial[block] =
          block_sum_of_squares<G, kAcc, kGrad>(a, g, begin, std::min(numel, begin + kNormBlock));
    }
  });
  double total = 0;
  for (double value : partial) total += value;
  return total;
}

template <class G>
double sum_of_squares_typed(const at::Tensor& accumulator, const at::Tensor& grad, int64_t numel) {
  if (accumulator.defined() && grad.defined())
    return sum_of_squares<G, true, true>(accumulator, grad, numel);
  if (accumulator.defined()) return sum_of_squares<G, true, false>(accumulator, grad, numel);
  return sum_of_squares<G, false, true>(accumulator, grad, numel);
}

}  // namespace

bool fused_cpu_tensor(const at::Tensor& tensor) {
  if (!tensor.defined()) return true;
  const auto dtype = tensor.scalar_type();
  return tensor.device().is_cpu() && tensor.is_contiguous() && !tensor.is_sparse() &&
         (dtype == at::kFloat || dtype == at::kBFloat16 || dtype == at::kHalf);
}

double fused_sum_of_squares(const at::Tensor& accumulator, const at::Tensor& grad) {
  if (!accumulator.defined() && !grad.defined()) return 0.0;
  const int64_t numel = grad.defined() ? grad.numel() : accumulator.numel();
  const auto dtype = grad.defined() ? grad.scalar_type() : at::kFloat;
  switch (dtype) {
    case at::kFloat:
      return sum_of_squares_typed<float>(accumulator, grad, numel);
    case at::kBFloat16:
      return sum_of_squares_typed<c10::BFloat16>(accumulator, grad, numel);
    case at::kHalf:
      return sum_of_squares_typed<c10::Half>(accumulator, grad, numel);
    default:
      throw Error(std::string("fused AdamW: unsupported gradient dtype ") + c10::toString(dtype));
  }
}

void fused_adamw_step(const at::Tensor& parameter, const at::Tensor& master,
                      const at::Tensor& master_low, const at::Tensor& accumulator,
                      const at::Tensor& grad, const at::Tensor& exp_avg,
                      const at::Tensor& exp_avg_sq, const AdamWScalars& scalars) {
  dispatch_step("fused AdamW", parameter, master, master_low, accumulator, grad,
                [&](auto kind, const auto& t) {
                  using K = decltype(kind);
                  using P = typename K::Parameter;
                  float* m = data<float>(exp_avg);
                  float* v = data<float>(exp_avg_sq);
                  at::parallel_for(0, parameter.numel(), kGrain, [&](int64_t begin, int64_t end) {
                    step_range<P, K::master, K::accumulator, K::grad>(
                        t.parameter, t.master, t.master_low, t.accumulator, t.grad, m, v, scalars,
                        begin, end);
                  });
                });
}

}  // namespace wizard::train::detail
