// AdamW step time: the fused CPU pass against torch's op sequence, for float32 and bfloat16
// parameters (with float32 masters), the fused pass with 8-bit moments, and its nearest-code
// search one value at a time against 16 at a time (same process, alternating). A plain timed
// program:
//   bench_adamw [millions of params] [threads]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "train/adamw8bit.hpp"
#include "wizard/train/adamw.hpp"

namespace {

struct Times {
  double norm = 0;
  double step = 0;
};

Times time_steps(wizard::train::AdamWKernel kernel, at::ScalarType dtype, int64_t numel, int steps,
                 int state_bits = 32) {
  // A few tensors of the sizes a decoder layer has.
  wizard::train::NamedParameters parameters;
  const int64_t parts = 8;
  for (int64_t i = 0; i < parts; ++i) {
    at::Tensor p = at::randn({numel / parts}).to(dtype).set_requires_grad(true);
    parameters.emplace_back("layer." + std::to_string(i) + ".weight", p);
  }
  wizard::train::AdamW optimizer(parameters, {0.9, 0.999, 1e-8, 0.01, state_bits}, kernel);
  Times total;
  using Clock = std::chrono::steady_clock;
  for (int s = 0; s < steps + 1; ++s) {
    for (auto& entry : parameters) entry.second.mutable_grad() = at::randn_like(entry.second);
    const auto start = Clock::now();
    const double norm = optimizer.gradient_norm();
    const auto middle = Clock::now();
    optimizer.step(1e-3, wizard::train::clip_coefficient(norm, 1.0));
    const auto end = Clock::now();
    if (s == 0) continue;  // the first step allocates the moments
    total.norm += std::chrono::duration<double>(middle - start).count() / steps;
    total.step += std::chrono::duration<double>(end - middle).count() / steps;
  }
  return total;
}

// Nanoseconds per value of the 8-bit pass's nearest-code search over blocks of 256 values in
// [-1, 1]: {one at a time, nearest_n}, the best of 5 alternating rounds each.
std::pair<double, double> time_code_search(int64_t numel) {
  namespace q8 = wizard::train::detail;
  const at::Tensor values = (at::rand({numel}) * 2 - 1) * at::pow(10.0, -at::rand({numel}) * 4);
  const float* x = values.data_ptr<float>();
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(numel));
  const q8::CodeSearch& search = q8::code_search(true);
  using Clock = std::chrono::steady_clock;
  auto time = [&](bool vector) {
    const auto start = Clock::now();
    for (int64_t begin = 0; begin < numel; begin += q8::kStateBlock) {
      const int64_t n = std::min(q8::kStateBlock, numel - begin);
      if (vector) {
        search.nearest_n(x + begin, codes.data() + begin, n);
      } else {
        search.nearest_n_scalar(x + begin, codes.data() + begin, n);
      }
    }
    return 1e9 * std::chrono::duration<double>(Clock::now() - start).count() /
           static_cast<double>(numel);
  };
  double scalar = 1e30, vector = 1e30;
  for (int round = 0; round < 5; ++round) {
    scalar = std::min(scalar, time(false));
    vector = std::min(vector, time(true));
  }
  return {scalar, vector};
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t millions = argc > 1 ? std::atoll(argv[1]) : 32;
  const int64_t numel = millions * 1000000;
  if (argc > 2) at::set_num_threads(std::atoi(argv[2]));
  std::printf("AdamW step (norm + update) over %lld M parameters, %d threads\n",
              static_cast<long long>(millions), at::get_num_threads());
  for (auto dtype : {at::kFloat, at::kBFloat16}) {
    const Times fused = time_steps(wizard::train::AdamWKernel::fused_cpu, dtype, numel, 5);
    const Times aten = time_steps(wizard::train::AdamWKernel::aten, dtype, numel, 5);
    const Times eight = time_steps(wizard::train::AdamWKernel::fused_cpu, dtype, numel, 5, 8);
    const auto per_param = [&](double seconds) {
      return 1e9 * seconds / static_cast<double>(numel);
    };
    std::printf(
        "%-9s fused: norm %.2f + step %.2f ns/param   aten: norm %.2f + step %.2f ns/param   "
        "speed-up %.1fx\n",
        c10::toString(dtype), per_param(fused.norm), per_param(fused.step), per_param(aten.norm),
        per_param(aten.step), (aten.norm + aten.step) / (fused.norm + fused.step));
    std::printf("%-9s fused 8-bit: norm %.2f + step %.2f ns/param\n", c10::toString(dtype),
                per_param(eight.norm), per_param(eight.step));
  }
  const auto [scalar, vector] = time_code_search(numel / 4);
  std::printf(
      "8-bit nearest-code search (1 thread): one at a time %.2f ns/value, 16 at a time "
      "%.2f ns/value, %.1fx\n",
      scalar, vector, scalar / vector);
  return 0;
}
