// init-model: writes a new, randomly initialised model folder in the Hugging Face layout
// (config.json, generation_config.json, model.safetensors, tokenizer.json,
// tokenizer_config.json) that from_pretrained — wizard's or transformers' — loads.
//
// Weights follow transformers' _init_weights: linear and embedding weights ~ N(0,
// initializer_range), biases 0, RMSNorm weights 1, drawn from one seeded generator. The
// tokenizer is a byte-level BPE without merges (every byte is a token, ids 0-255 are the
// bytes themselves) plus <|endoftext|>, <|im_start|>, <|im_end|> and a ChatML template.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard::model {

struct WIZARD_API InitModelOptions {
  std::string architecture = "qwen2";  // llama | mistral | qwen2 | qwen3
  int64_t hidden_size = 64;
  int64_t num_hidden_layers = 2;
  int64_t num_attention_heads = 4;
  int64_t num_key_value_heads = 2;
  int64_t intermediate_size = 128;
  std::optional<int64_t> head_dim;    // default hidden_size / num_attention_heads
  std::optional<int64_t> vocab_size;  // default the tokenizer's size rounded up to 64
  bool tie_word_embeddings = true;
  double rope_theta = 1000000.0;
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  double initializer_range = 0.02;
  std::optional<int64_t> sliding_window;  // mistral only
  uint64_t seed = 0;
  std::string dtype = "float32";  // float32 | bfloat16 | float16

  // Named starting points: "tiny" (the defaults above), "qwen2.5-0.5b" (Qwen2.5-0.5B's
  // shape: hidden 896, 24 layers, 14 heads, 2 kv heads, intermediate 4864, vocab 151936,
  // tied), "qwen3-0.6b" (Qwen3-0.6B's shape). Throws wizard::ConfigError naming the presets.
  static InitModelOptions preset(const std::string& name);
  static const std::vector<std::string>& preset_names();
};

// One option as a command line or config exposes it: --<name> <value>.
struct WIZARD_API InitModelOption {
  std::string name;  // the field name, e.g. "hidden_size"
  std::string type;  // "int", "float", "bool", "string", "int?" (optional: "none" clears it)
  std::string help;
  std::function<std::string(const InitModelOptions&)> get;  // current value as text
  // Parses `text` into the field; throws wizard::ConfigError naming the option.
  std::function<void(InitModelOptions&, const std::string& text)> set;
};

// Every field of InitModelOptions, in declaration order.
WIZARD_API const std::vector<InitModelOption>& init_model_options();

// Sets option `name` from text; unknown names are a ConfigError naming the nearest one.
WIZARD_API void set_init_model_option(InitModelOptions& options, const std::string& name,
                                      const std::string& text);

// The tokenizer's size: 256 bytes + 3 special tokens.
WIZARD_API int64_t init_model_tokenizer_size();

// Writes the model folder atomically (an existing folder is replaced). Throws
// wizard::ConfigError for inconsistent options (e.g. heads not dividing hidden_size).
WIZARD_API void init_model(const std::filesystem::path& folder, const InitModelOptions& options);

}  // namespace wizard::model
