#include "session.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "config_files.hpp"
#include "logging_setup.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/distributed/environment.hpp"

namespace wizard::core {

namespace fs = std::filesystem;

namespace {

// True when the top level has a section of the arabic-qwen CPOConfig schema (docs/config.md;
// the cpo recipe's is_arabic_qwen_config reads the same list).
bool has_arabic_qwen_sections(const Config& config) {
  for (const char* section :
       {"model", "training", "data", "cpo", "optimization", "logging", "paths"}) {
    if (config.has(section)) return true;
  }
  return false;
}

}  // namespace

std::string recipe_name(const Config& config) {
  const auto spec = config.optional<std::string>("spec_class");
  const auto recipe = config.optional<std::string>("recipe_class");
  if (spec && recipe && *spec != *recipe) {
    config.fail("recipe_class",
                "names '" + *recipe + "' but spec_class names '" + *spec + "'; keep one of them");
  }
  if (!spec && !recipe) {
    // A config in the arabic-qwen schema names no recipe: it is always CPO.
    if (has_arabic_qwen_sections(config)) return "cpo";
    config.fail("",
                "no recipe named: add spec_class = \"cpo\" (or recipe_class) at the top of "
                "the file (or write the arabic-qwen schema's sections: model, training, data, "
                "cpo, ...; docs/config.md); `wizard plugins --kind recipe` lists the recipes");
  }
  return spec ? *spec : *recipe;
}

namespace {

// plugin_paths in the config are relative to the config file's folder.
std::vector<fs::path> config_plugin_dirs(const Config& config, const fs::path& config_path) {
  std::vector<fs::path> dirs;
  for (const auto& dir : config.get<std::vector<std::string>>("plugin_paths", {})) {
    fs::path path(dir);
    if (path.is_relative()) path = config_path.parent_path() / path;
    if (!fs::is_directory(path)) {
      config.fail("plugin_paths",
                  "'" + dir + "' is not a folder (resolved to " + path.string() + ")");
    }
    dirs.push_back(fs::absolute(path).lexically_normal());
  }
  if (!dirs.empty()) {
    // Absolute in the resolved config, which is written to another folder.
    ConfigValue::Array absolute;
    for (const auto& dir : dirs) absolute.push_back(ConfigValue::string(dir.string()));
    config.record("plugin_paths", ConfigValue::array(std::move(absolute)));
  }
  return dirs;
}

}  // namespace

Session::Session(const SessionOptions& options) {
  ConfigValue tree = read_config_file(options.config_path);
  apply_overrides(tree, options.overrides);
  config_ = Config(std::move(tree));
  registry_ = std::make_unique<PluginRegistry>(
      plugin_search_path(options.plugin_dirs, config_plugin_dirs(config_, options.config_path)));
  const std::string name = recipe_name(config_);
  const std::string key = config_.has("spec_class") ? "spec_class" : "recipe_class";
  recipe_ = registry_->create<Recipe>(name, config_, config_.location(key));
}

// In a data-parallel run rank 0 alone holds and writes the run folder's host files.
void Session::lock_run_folder() {
  const fs::path dir = recipe_->output_dir();
  if (!dir.empty() && distributed::LaunchEnvironment::current().is_main())
    run_folder_lock_ = RunFolderLock::acquire(dir);
}

fs::path Session::open_run_folder() {
  const fs::path dir = recipe_->output_dir();
  if (dir.empty()) return dir;
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    throw Error("cannot create the output folder " + dir.string() + ": " + error.message() +
                "; check that its parent exists and is writable, or choose another output_dir");
  }
  if (!distributed::LaunchEnvironment::current().is_main()) return dir;
  add_log_file(dir);
  const fs::path resolved = dir / "resolved_config.toml";
  std::ofstream out(resolved);
  out << "# The configuration of this run as wizard resolved it: defaults filled in,\n"
      << "# --set overrides applied. Run it again from the same working folder with\n"
      << "#   wizard run " << resolved.string() << "\n"
      << write_toml(config_.resolved());
  out.flush();
  if (!out) {
    throw Error("cannot write " + resolved.string() + " (" + std::strerror(errno) +
                "); check that output_dir is writable and the disk has free space");
  }
  wizard::logger()->info("run folder: {}", dir.string());
  return dir;
}

}  // namespace wizard::core
