// What `wizard bench` measures besides the recipe's steps: this machine's bfloat16 matrix
// product rate, and the process's peak resident memory per mode.
#pragma once

#include <cstdint>
#include <vector>

#include "wizard/plugin/recipe_bench.hpp"

namespace wizard::core {

struct GemmRate {
  double best = 0;    // FLOP/s of the fastest product
  double median = 0;  // FLOP/s of the median product
  std::int64_t size = 0;
};

// Times `repeats` bfloat16 at::mm of [size, size] x [size, size] (after two unmeasured ones)
// on the current intra-op threads.
GemmRate measure_bf16_gemm(std::int64_t size = 2048, int repeats = 8);

// Hands freed heap memory back to the system and restarts the peak-RSS count at the current
// resident size (/proc/self/clear_refs "5"). False when the kernel refuses: the peak then
// covers the whole process.
bool restart_peak_rss();
// getrusage's peak resident set size, in bytes.
std::int64_t peak_rss_bytes();
// The resident set size now (/proc/self/statm), in bytes; 0 where it cannot be read.
std::int64_t current_rss_bytes();

// Figures over the timed steps of one mode.
struct StepStats {
  std::int64_t steps = 0;
  std::int64_t tokens = 0;
  std::int64_t examples = 0;
  double seconds = 0;                               // sum of step times
  double flops = 0;                                 // sum of model FLOPs
  double mean = 0, sd = 0, min = 0, max = 0;        // step time
  double forward = 0, backward = 0, optimizer = 0;  // mean per step
  double cpu_seconds = 0, kernel_seconds = 0;       // sums
  std::int64_t page_faults = 0;                     // sum

  double tokens_per_second() const { return seconds > 0 ? tokens / seconds : 0; }
  double flops_per_second() const { return seconds > 0 ? flops / seconds : 0; }
};

StepStats step_stats(const std::vector<BenchStep>& steps);

}  // namespace wizard::core
