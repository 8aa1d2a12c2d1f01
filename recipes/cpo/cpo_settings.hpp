// Everything the CPO recipe reads from its config, checked before anything
// heavy is loaded: the training arguments (HF TrainingArguments, TRL's
// CPOConfig and the loss options, in one flat table as TRL has them), the
// transformer spec, and which loss and sampler plugins to create.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "adapter_settings.hpp"
#include "augmentation_settings.hpp"
#include "contrastive_settings.hpp"
#include "mining_settings.hpp"
#include "wizard/base/config.hpp"
#include "wizard/data/preference_tokenization.hpp"
#include "wizard/plugin/plugin.hpp"
#include "wizard/preference/pair_scoring.hpp"
#include "wizard/train/training_args.hpp"

namespace wizard::cpo {

// training-wizard's TransformerSpec, as far as wizard supports it.
struct TransformerSettings {
  std::string pretrained_name;     // a folder, or a hub name resolved in the local HF cache
  std::string revision;            // hub revision ("" = main)
  c10::Device device = c10::kCPU;  // transformer_spec.device (or device_map), resolved
  nlohmann::ordered_json chat_template_kwargs = nlohmann::ordered_json::object();
  AdapterSettings adapters;  // lora_spec, quantization_spec / bnb_spec
};

// A plugin to create: its name, its own table, and where the name was written.
struct PluginChoice {
  std::string name;
  Config table;
  SourceLocation named_at;
};

// Several negatives per example (docs/data.md): K, the sampler plugin choosing them each step,
// and whether the other prompts' chosen answers in a micro-batch join each example's pool.
struct NegativeSettingsChoice {
  std::int64_t num_negatives = 1;
  bool in_batch = false;
  PluginChoice sampler;  // negative_sampling_strategy (default random)
};

// reference_free = false: scores become s - s_ref under a frozen reference model.
struct ReferenceChoice {
  bool enabled = false;
  std::string model_name;   // reference_model_name; empty: the starting policy
  bool precompute = false;  // precompute_ref_log_probs
};

struct CpoSettings {
  train::TrainingArguments args;
  PreferenceTokenization tokenization;
  TransformerSettings transformer;
  preference::PairScoringOptions scoring;
  std::optional<std::int64_t> padding_value;  // CPOConfig.padding_value (default: pad token)
  PluginChoice loss;
  PluginChoice sampler;
  NegativeSettingsChoice negatives;
  ReferenceChoice reference;
  ContrastiveSettings contrastive;    // the embedding contrastive term (off by default)
  MiningSettings mining;              // create_hard_negatives (off by default)
  AugmentationSettings augmentation;  // augment_data (off by default)
  bool evaluate_first_step = false;
  bool eval_strategy_given = false;  // written in the config (not training-wizard's default)
  bool eval_exact_match = false;     // greedy-decode held-out prompts during evaluation
  // TRL's generate_during_eval: answers to eval_sample_size validation prompts at each
  // evaluation, in output_dir/samples.jsonl, with the [generation] table's settings.
  bool generate_during_eval = false;
  std::int64_t eval_sample_size = 0;
  Config generation;

  // Reads and checks the whole recipe config (strict keys at every level). `loss_defaults`:
  // the config schema's defaults of the loss options (a table; the arabic-qwen schema's).
  static CpoSettings read(const Config& recipe, PluginHost& host,
                          const ConfigValue& loss_defaults = ConfigValue::table());
};

// The recipe's top-level options (for `wizard help cpo`).
OptionDocs cpo_recipe_options();

// Every key training_args_spec accepts: HF's TrainingArguments, TRL's CPOConfig, wizard's
// own and the options of the loss the config chooses.
OptionDocs training_args_options(const Config& recipe, PluginHost& host);

}  // namespace wizard::cpo
