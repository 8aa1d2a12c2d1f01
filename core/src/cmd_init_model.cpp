// `wizard init-model DIR`: a new, randomly initialised HF-format model folder.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/run_folder_lock.hpp"
#include "wizard/base/text.hpp"
#include "wizard/model/init_model.hpp"

namespace wizard::core {

namespace fs = std::filesystem;

namespace {

// A folder holding anything (but a lock file) is someone's work: refused unless --overwrite.
void check_target(const fs::path& dir, bool overwrite) {
  std::error_code error;
  if (!fs::exists(dir, error)) return;
  if (!fs::is_directory(dir, error)) {
    throw UsageError(dir.string() + " exists and is not a folder; choose another path");
  }
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name != RunFolderLock::file_name()) names.push_back(name);
  }
  if (names.empty() || overwrite) return;
  std::sort(names.begin(), names.end());
  if (names.size() > 4) {
    names.resize(4);
    names.push_back("...");
  }
  throw UsageError(dir.string() + " is not empty (" + join(names) +
                   "); init-model would replace everything in it. Pass --overwrite to replace "
                   "it, or choose a new folder");
}

std::string preset_list() {
  std::string out;
  for (const auto& name : model::InitModelOptions::preset_names())
    out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

Command init_model_command() {
  Command command;
  command.name = "init-model";
  command.synopsis = "init-model DIR [--preset NAME] [--overwrite] [--hidden_size N]...";
  command.summary = "write a new random HF-format model (config, safetensors, tokenizer)";
  command.details =
      "The folder loads in wizard and in transformers (from_pretrained). Weights are\n"
      "drawn as transformers initialises them (normal with initializer_range, seeded);\n"
      "the tokenizer is a byte-level BPE without merges with a ChatML chat template.\n"
      "A DIR that holds files is refused unless --overwrite is given.\n"
      "Options after --preset change the preset's values. Presets: " +
      preset_list() + ".\n";
  command.declare = [](po::options_description& options, po::positional_options_description& p) {
    options.add_options()("dir", po::value<std::string>()->required(), "the folder to write")(
        "preset", po::value<std::string>()->default_value("tiny"), "starting shape")(
        "overwrite", "replace DIR when it is not empty (everything in it is deleted)");
    for (const auto& option : model::init_model_options()) {
      const std::string fallback = option.get(model::InitModelOptions{});
      options.add_options()(
          option.name.c_str(), po::value<std::string>(),
          (option.help + " (" + option.type + ", tiny: " + fallback + ")").c_str());
    }
    declare_log_option(options);
    p.add("dir", 1);
  };
  command.execute = [](const po::variables_map& vm) {
    auto options = model::InitModelOptions::preset(vm["preset"].as<std::string>());
    for (const auto& option : model::init_model_options()) {
      if (vm.count(option.name)) option.set(options, vm[option.name].as<std::string>());
    }
    const std::string dir = vm["dir"].as<std::string>();
    check_target(dir, vm.count("overwrite") > 0);
    // A run still writing DIR refuses the lock, so --overwrite never pulls a folder from
    // under it; the lock file goes with the replaced folder.
    const RunFolderLock lock = RunFolderLock::acquire(dir);
    model::init_model(dir, options);
    std::cout << "wrote " << options.architecture << " model (" << options.num_hidden_layers
              << " layers, hidden " << options.hidden_size << ") to " << dir << "\n";
    return 0;
  };
  return command;
}

}  // namespace wizard::core
