// The arabic-qwen CPOConfig schema (the arabic-qwen-base-finetuning project's
// docs/api/config/cpo_config.md): sections model, training, data, cpo, optimization,
// logging (and paths.output_dir), in YAML, TOML or JSON. The cpo recipe reads such a config
// by translating it into its own schema (transformer_spec, dataset_spec, validation,
// training_args_spec with HF/TRL names), so everything after that is shared. What each key
// becomes is one table (arabic_qwen_keys.hpp); docs/config.md lists it. Here: the entry
// points, the top-level check, the model check and the check that this build's recipe and
// loss read every translated key (issue 10's keys arrive in steps).
#pragma once

#include "schema_translation.hpp"
#include "wizard/base/config.hpp"
#include "wizard/plugin/plugin.hpp"

namespace wizard::cpo {

// A config as the cpo recipe reads it.
struct CpoConfigView {
  Config recipe;              // in the recipe's own schema
  ConfigValue loss_defaults;  // the schema's defaults of the loss's options (a table)
};

// True when `root` has a section of the arabic-qwen schema.
bool is_arabic_qwen_config(const Config& root);

// The sections, as top-level options of the recipe (`wizard help cpo`).
OptionDocs arabic_qwen_sections();

// The arabic-qwen config `root` in the recipe's schema. Every problem — unknown or mistyped
// keys, overlapping keys that disagree, keys waiting for other issues, keys this build's
// recipe or loss does not have — is reported in one ConfigError.
CpoConfigView translate_arabic_qwen(const Config& root, PluginHost& host);

// What the recipe reads: a training-wizard config as it is, an arabic-qwen one translated.
CpoConfigView cpo_config_view(const Config& root, PluginHost& host);

namespace arabic_qwen {

// Every section translated, before translate_arabic_qwen checks the result against the
// recipe and the model.
struct Translated {
  SchemaTranslation out;
  ConfigValue loss_defaults;  // the schema's defaults of the loss options
};
Translated translate_sections(const Config& root);

}  // namespace arabic_qwen

}  // namespace wizard::cpo
