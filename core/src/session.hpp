// One invocation's working set: the loaded config, the plugin registry and the
// recipe it names. `wizard run` and `wizard check` share it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "plugin_registry.hpp"
#include "wizard/base/config.hpp"
#include "wizard/base/run_folder_lock.hpp"
#include "wizard/plugin/recipe.hpp"

namespace wizard::core {

struct SessionOptions {
  std::filesystem::path config_path;
  std::vector<std::string> overrides;    // --set key.path=value
  std::vector<std::string> plugin_dirs;  // --plugin-path
};

class Session {
 public:
  // Reads the config, applies overrides, scans plugins and creates the recipe
  // (whose constructor validates its own keys).
  explicit Session(const SessionOptions& options);

  const Config& config() const { return config_; }
  PluginRegistry& registry() { return *registry_; }
  Recipe& recipe() { return *recipe_; }

  // Creates the recipe's output_dir and locks it for the rest of the session, so that a
  // second run into the same folder is refused with this process's id (nothing when the
  // recipe writes no folder). `wizard run` calls it before prepare().
  void lock_run_folder();
  // Creates the recipe's output_dir, writes resolved_config.toml there and
  // starts the log file. Returns the folder (empty if the recipe writes none).
  std::filesystem::path open_run_folder();

 private:
  RunFolderLock run_folder_lock_;
  Config config_;
  std::unique_ptr<PluginRegistry> registry_;
  std::shared_ptr<Recipe> recipe_;
};

// The recipe name of a config: `spec_class` or `recipe_class` at the top level; "cpo" for
// a config in the arabic-qwen schema, which names no recipe.
std::string recipe_name(const Config& config);

}  // namespace wizard::core
