// A recipe: one training method, from config to finished run (cpo, inspect, ...).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "wizard/plugin/plugin.hpp"

namespace wizard {

// `wizard bench`'s view of a recipe's training step (wizard/plugin/recipe_bench.hpp).
class RecipeBench;

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
