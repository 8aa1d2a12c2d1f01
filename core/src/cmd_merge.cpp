// `wizard merge ADAPTER_DIR --out DIR`: a PEFT LoRA adapter folder merged into its base model,
// written as a plain HF model folder.
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "output_folder.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/run_folder_lock.hpp"
#include "wizard/model/hub.hpp"
#include "wizard/model/lora.hpp"

namespace wizard::core {

namespace fs = std::filesystem;

namespace {

// adapter_config.json's base_model_name_or_path (a folder, or a hub name in the HF cache).
std::string base_model_of(const fs::path& adapter) {
  std::ifstream in(adapter / "adapter_config.json");
  if (!in) {
    throw UsageError(adapter.string() +
                     " has no adapter_config.json: not a PEFT adapter folder (a LoRA run's "
                     "output_dir or one of its checkpoint-N folders)");
  }
  const nlohmann::json config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object() || !config.contains("base_model_name_or_path") ||
      !config["base_model_name_or_path"].is_string()) {
    throw UsageError((adapter / "adapter_config.json").string() +
                     " names no base_model_name_or_path; pass --base FOLDER");
  }
  return config["base_model_name_or_path"].get<std::string>();
}

}  // namespace

Command merge_command() {
  Command command;
  command.name = "merge";
  command.synopsis = "merge ADAPTER_DIR --out DIR [--base MODEL] [--dtype NAME] [--overwrite]";
  command.summary = "merge a LoRA adapter into its base model (a plain HF model folder)";
  command.details =
      "ADAPTER_DIR is a PEFT adapter folder (adapter_config.json, adapter_model.safetensors),\n"
      "e.g. a LoRA run's output_dir. The base model is the adapter's base_model_name_or_path\n"
      "(a folder or a hub name in the HF cache) unless --base names it; it is loaded\n"
      "unquantised, W += scaling B A is computed in float32 for every adapted layer, and the\n"
      "result is saved in the base's dtype (or --dtype) with the tokenizer files.\n"
      "A DIR that holds files is refused unless --overwrite is given.\n";
  command.declare = [](po::options_description& options, po::positional_options_description& p) {
    options.add_options()("adapter", po::value<std::string>()->required(), "the adapter folder")(
        "out", po::value<std::string>()->required(), "the folder to write the merged model to")(
        "base", po::value<std::string>(), "the base model (default: the adapter's)")(
        "dtype", po::value<std::string>(), "float32, bfloat16 or float16 (default: the base's)")(
        "overwrite", "replace DIR when it is not empty (everything in it is deleted)");
    declare_log_option(options);
    p.add("adapter", 1);
  };
  command.execute = [](const po::variables_map& vm) {
    const fs::path adapter = vm["adapter"].as<std::string>();
    const fs::path out = vm["out"].as<std::string>();
    if (fs::exists(out) && fs::exists(adapter) && fs::equivalent(out, adapter)) {
      throw UsageError("--out " + out.string() + " is the adapter folder; choose another one");
    }
    check_output_folder(out, vm.count("overwrite") > 0, "merge");
    const std::string base =
        vm.count("base") ? vm["base"].as<std::string>() : base_model_of(adapter);
    const fs::path base_dir = hub::resolve_model(base, "");
    std::optional<at::ScalarType> dtype;
    if (vm.count("dtype")) dtype = model::dtype_from_name(vm["dtype"].as<std::string>());
    const RunFolderLock lock = RunFolderLock::acquire(out);
    model::save_merged_adapter(adapter, base_dir, out, dtype);
    std::cout << "merged " << adapter.string() << " into " << base_dir.string() << ": wrote "
              << out.string() << "\n";
    return 0;
  };
  return command;
}

}  // namespace wizard::core
