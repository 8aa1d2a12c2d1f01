// LoRA adapters on a CausalLM, as PEFT's LoraConfig defines them, saved and loaded as PEFT
// adapter folders (adapter_config.json + adapter_model.safetensors) that PEFT's
// PeftModel.from_pretrained puts on the base model. See docs/training.md ("LoRA").
//
//   LoraOptions options;                  // PEFT's names, training-wizard's defaults
//   options.r = 16;
//   add_lora(model, options, seed);       // adapters on, base frozen
//   trainer gets lora_parameters(model, options)
//   save_lora_adapter(model, options, folder, base_model_name);
//   merge_lora(model);                    // W += scaling B A, adapters off
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::model {

struct WIZARD_API LoraOptions {
  int64_t r = 32;
  double lora_alpha = 64;
  double lora_dropout = 0.05;
  bool use_rslora = false;  // scaling alpha / sqrt(r) instead of alpha / r
  // Module names matched as PEFT does: a name matches a module whose dotted path is the
  // name or ends with "." + name ("q_proj", "self_attn.q_proj", "model.layers.0.mlp.up_proj");
  // {"all-linear"}: every linear layer except the LM head. A single other string in
  // `target_regex` instead is a regular expression the whole path must match.
  std::vector<std::string> target_modules = {"all-linear"};
  std::string target_regex;
  std::string bias = "none";  // none | all (every bias trains) | lora_only (the adapted layers')
  // Whole modules trained and saved with the adapter: "lm_head", "embed_tokens" (untied
  // models only: PEFT copies the module, which would untie a tied one).
  std::vector<std::string> modules_to_save;

  double scaling() const;
  // Throws ConfigError-free wizard::Error naming the first bad value (r < 1, dropout outside
  // [0, 1), bias not none/all/lora_only, a modules_to_save name wizard cannot train).
  void check() const;
};

// The adapted linear layers' dotted paths ("model.layers.0.self_attn.q_proj"), in order.
// Throws naming the target when a listed name matches nothing (PEFT's error) or matches the LM
// head or the embeddings (wizard adapts the decoder layers' linear layers only).
WIZARD_API std::vector<std::string> lora_target_paths(const ModelConfig& config,
                                                      const LoraOptions& options);

// Puts adapters on the targeted layers, initialised as PEFT does (A kaiming-uniform with a =
// sqrt(5) from a generator seeded with `seed`, B zeros, in the model's dtype and device), and
// freezes every parameter except the biases `bias` names and `modules_to_save`.
WIZARD_API void add_lora(CausalLM& model, const LoraOptions& options, uint64_t seed);

// What trains, with the names PEFT's adapter file gives them
// ("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
// "...q_proj.base_layer.bias", "base_model.model.lm_head.weight").
WIZARD_API NamedParameters lora_parameters(const CausalLM& model, const LoraOptions& options);

// adapter_config.json (PEFT's LoraConfig fields, task_type CAUSAL_LM) and
// adapter_model.safetensors (lora_parameters, in the parameters' dtype), written atomically.
WIZARD_API void save_lora_adapter(const CausalLM& model, const LoraOptions& options,
                                  const std::filesystem::path& folder,
                                  const std::string& base_model_name_or_path);

// The LoraOptions of a PEFT adapter folder's adapter_config.json; refuses what wizard cannot
// apply (another peft_type, DoRA, rank or alpha patterns, fan_in_fan_out, ...), naming the key.
WIZARD_API LoraOptions read_lora_config(const std::filesystem::path& folder);

// Loads adapter_model.safetensors of `folder` into the adapters (and biases, modules_to_save)
// `options` puts on `model`, adding them first when the model has none. Every tensor
// lora_parameters names must be there with its shape.
WIZARD_API void load_lora_adapter(CausalLM& model, const LoraOptions& options,
                                  const std::filesystem::path& folder);

// Folds every adapter into its base weight (W += scaling B A, computed in float32) and removes
// the adapters: the model computes what it computed with them, as a plain model.
WIZARD_API void merge_lora(CausalLM& model);

// `wizard merge` and merge_lora: the base model of `base_folder` (in `dtype`, default its
// config's torch_dtype) with the adapter of `adapter_dir` merged into it, saved as a plain
// model at `out` (save_pretrained) with the tokenizer files of the adapter folder, or of the
// base folder when the adapter has none.
WIZARD_API void save_merged_adapter(const std::filesystem::path& adapter_dir,
                                    const std::filesystem::path& base_folder,
                                    const std::filesystem::path& out,
                                    std::optional<at::ScalarType> dtype = std::nullopt);

}  // namespace wizard::model
