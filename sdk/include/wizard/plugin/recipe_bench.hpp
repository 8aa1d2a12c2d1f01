// What `wizard bench` asks of a recipe: its training step, prepared for timing
// (Recipe::prepare_bench). Only recipes that can be benchmarked include this.
#pragma once

#include <cstdint>
#include <optional>
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

// Bytes the training step holds, by kind (`wizard bench --memory`). Only trainable parameters
// (requires_grad: the optimizer's) have gradients, masters and optimizer state; frozen ones
// count in `weights` only.
struct BenchMemory {
  std::int64_t parameters = 0;            // elements of every model parameter
  std::int64_t trainable_parameters = 0;  // elements the optimizer updates
  std::int64_t weights = 0;               // every model parameter as stored
  std::int64_t master_weights = 0;        // the optimizer's float32 masters (or low halves)
  std::int64_t gradients = 0;             // trainable parameters' gradients + float32 sums
  std::int64_t optimizer_state = 0;       // AdamW's moments (8-bit: codes and absmax)
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
  // What the last run() held, by kind; nullopt where the recipe does not account for it.
  virtual std::optional<BenchMemory> memory() const;
};

}  // namespace wizard
