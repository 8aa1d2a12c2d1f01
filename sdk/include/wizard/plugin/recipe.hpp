// A recipe: one training method, from config to finished run (cpo, inspect, ...).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "wizard/plugin/plugin.hpp"

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

class WIZARD_API Recipe : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::Recipe;
  ~Recipe() override;

  // Builds everything the run needs (data, model, optimizer, ...) without
  // training. `wizard check` stops after this; errors surface here.
  virtual void prepare() = 0;
  // What prepare() built, for humans (`wizard check` prints it).
  virtual std::string summary() const = 0;
  // Where the run writes its resolved config, log, metrics and checkpoints;
  // empty when the recipe writes nothing.
  virtual std::filesystem::path output_dir() const = 0;
  // Runs the recipe after prepare(); returns the process exit code.
  virtual int run() = 0;
  // For `wizard bench`, instead of prepare(): builds what the training step needs, writing
  // only into `scratch_dir` (never into output_dir). Recipes without a training step keep
  // this default, which throws a UsageError.
  virtual std::unique_ptr<RecipeBench> prepare_bench(const std::filesystem::path& scratch_dir);
};

}  // namespace wizard
