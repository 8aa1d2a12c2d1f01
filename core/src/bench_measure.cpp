#include "bench_measure.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>

namespace wizard::core {

GemmRate measure_bf16_gemm(std::int64_t size, int repeats) {
  at::NoGradGuard no_grad;
  const auto options = at::TensorOptions().dtype(at::kBFloat16);
  const at::Tensor a = at::randn({size, size}, options);
  const at::Tensor b = at::randn({size, size}, options);
  at::Tensor out = at::empty({size, size}, options);
  for (int i = 0; i < 2; ++i) at::mm_out(out, a, b);
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    at::mm_out(out, a, b);
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  const double flops = 2.0 * static_cast<double>(size) * size * size;
  return {flops / seconds.front(), flops / seconds[seconds.size() / 2], size};
}

bool restart_peak_rss() {
  malloc_trim(0);
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

std::int64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

std::int64_t current_rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

StepStats step_stats(const std::vector<BenchStep>& steps) {
  StepStats stats;
  stats.steps = static_cast<std::int64_t>(steps.size());
  if (steps.empty()) return stats;
  stats.min = steps.front().seconds;
  stats.max = steps.front().seconds;
  for (const auto& step : steps) {
    stats.tokens += step.tokens;
    stats.examples += step.examples;
    stats.seconds += step.seconds;
    stats.flops += step.flops;
    stats.cpu_seconds += step.cpu_seconds;
    stats.kernel_seconds += step.kernel_seconds;
    stats.page_faults += step.page_faults;
    stats.forward += step.forward / static_cast<double>(steps.size());
    stats.backward += step.backward / static_cast<double>(steps.size());
    stats.optimizer += step.optimizer / static_cast<double>(steps.size());
    stats.min = std::min(stats.min, step.seconds);
    stats.max = std::max(stats.max, step.seconds);
  }
  stats.mean = stats.seconds / static_cast<double>(steps.size());
  double squares = 0;
  for (const auto& step : steps)
    squares += (step.seconds - stats.mean) * (step.seconds - stats.mean);
  stats.sd = steps.size() > 1 ? std::sqrt(squares / static_cast<double>(steps.size() - 1)) : 0;
  return stats;
}

}  // namespace wizard::core
