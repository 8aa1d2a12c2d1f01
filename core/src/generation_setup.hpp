// What `wizard generate` and `wizard chat` load: a model with its tokenizer and chat
// templates, and the generation settings, from a model (folder or hub name) or a config file
// (model = ..., [generation], ...), with command-line options over both.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "cli.hpp"
#include "wizard/base/config.hpp"
#include "wizard/chat/template_loader.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/generate.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace wizard::core {

struct GenerationSetup {
  Config config;  // the config file (or an empty one) with the command-line options applied
  std::filesystem::path model_dir;
  std::unique_ptr<model::CausalLM> model;
  std::unique_ptr<Tokenizer> tokenizer;
  ModelChatTemplates templates;
  model::GenerationConfig generation;  // generation_config.json, then [generation]
};

// MODEL_OR_CONFIG, --dtype, --device, --set and the sampling options.
void declare_generation_options(po::options_description& options,
                                po::positional_options_description& positional);

// The config-file keys besides `model` and [generation] that a command reads itself.
GenerationSetup load_generation_setup(const po::variables_map& vm, const OptionDocs& command_keys);

}  // namespace wizard::core
