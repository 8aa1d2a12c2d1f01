// The generation settings a config's [generation] table (or `wizard generate`'s options)
// may set: GenerationConfig's fields under transformers' names, over the model's
// generation_config.json.
//
//   [generation]
//   max_new_tokens = 128
//   do_sample = true
//   temperature = 0.7
//   stop_strings = ["\n\n"]
#pragma once

#include "wizard/base/config.hpp"
#include "wizard/base/export.hpp"
#include "wizard/model/generate.hpp"

namespace wizard::generation {

// Every key of the table, with type, help and the default that applies when neither the
// table nor generation_config.json sets it.
WIZARD_API OptionDocs generation_option_docs();

// Sets the fields `table` names over `config` (strict keys: an unknown one is a ConfigError
// with the nearest name), then validates the result.
WIZARD_API void apply_generation_table(const Config& table, model::GenerationConfig& config);

}  // namespace wizard::generation
