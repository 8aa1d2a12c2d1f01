// transformer_spec.lora_spec (LoRA adapters, PEFT's LoraConfig names with training-wizard's
// defaults) and transformer_spec.quantization_spec / bnb_spec (transformers'
// BitsAndBytesConfig: the frozen base in 4 bits), read and checked; and what the recipe does
// with them: adapters on the loaded model, the trainable parameters, the adapter folders saved
// as checkpoints and as the final output, and the merged model of merge_lora. docs/training.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "wizard/base/config.hpp"
#include "wizard/model/lora.hpp"
#include "wizard/model/quantization.hpp"

namespace wizard::cpo {

struct AdapterSettings {
  std::optional<model::LoraOptions> lora;
  std::optional<model::FourBitOptions> four_bit;
  bool merge_lora = false;  // callbacks_spec.merge_lora: also write output_dir/merged
};

// The options of the two tables (for check_keys and the docs).
OptionDocs lora_spec_options();
OptionDocs quantization_spec_options();

// Reads lora_spec and quantization_spec (or its other name bnb_spec) of `transformer_spec`.
AdapterSettings read_adapter_settings(const Config& transformer_spec);

// Quantises the base and puts the adapters on, as `settings` say (nothing without LoRA).
void apply_adapters(model::CausalLM& model, const AdapterSettings& settings, std::uint64_t seed);

// What trains: the adapters (lora_parameters, PEFT's names) with LoRA, else every parameter.
model::NamedParameters trainable_parameters(const model::CausalLM& model,
                                            const AdapterSettings& settings);

// The adapter folder at `folder` (adapter_config.json, adapter_model.safetensors) and the
// tokenizer files of `model_dir`, as PEFT's save_pretrained and TRL's trainer write them.
void save_adapter_folder(const model::CausalLM& model, const AdapterSettings& settings,
                         const std::filesystem::path& folder,
                         const std::filesystem::path& model_dir, const std::string& base_name);

}  // namespace wizard::cpo
