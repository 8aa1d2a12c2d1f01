// `wizard init-model DIR`: a new, randomly initialised HF-format model folder.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli.hpp"
#include "output_folder.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/run_folder_lock.hpp"
#include "wizard/base/text.hpp"
#include "wizard/model/init_model.hpp"

namespace wizard::core {

namespace fs = std::filesystem;

namespace {

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
    check_output_folder(dir, vm.count("overwrite") > 0, "init-model");
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
