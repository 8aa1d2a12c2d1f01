// What `wizard bench` asks of a recipe: its training step, prepared for timing
// (Recipe::prepare_bench). Only recipes that can be benchmarked include this.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard {

// `wizard bench`: which training step to time. `standard` is the step the config
// describes; `baseline` is the recipe's reference implementation of the same step (for
// cpo: TRL's padded batch, unshared prompts, full-vocabulary logits).
enum class BenchMode { standard, baseline };

// One timed optimizer step.
struct BenchStep {
  double seconds = 0;         // wall time from the end of the previous step to the end of this one
  double forward = 0;         // of which: forward passes (and the loss),
  double backward = 0;        // backward passes,
  double optimizer = 0;       // clipping and the optimizer update
  double cpu_seconds = 0;     // processor time of all threads (getrusage), user + kernel,
  double kernel_seconds = 0;  // of which in the kernel (page faults: zeroing fresh memory)
  std::int64_t page_faults = 0;
  std::int64_t tokens = 0;  // non-padding tokens of its micro-batches
  std::int64_t examples = 0;
  double flops = 0;  // model FLOPs the step needs (forward + backward, recomputation not counted)
};

// A recipe's training step, prepared for timing.
class WIZARD_API RecipeBench {
 public:
  virtual ~RecipeBench();
  // One line saying what `mode` runs (layout, batches).
  virtual std::string describe(BenchMode mode) const = 0;
  // Trains `warmup` optimizer steps, then `steps` more, as run() would train, and returns
  // the `steps` timed ones. Nothing is written outside the scratch folder.
  virtual std::vector<BenchStep> run(BenchMode mode, std::int64_t warmup, std::int64_t steps) = 0;
};

}  // namespace wizard
