// The architecture of a Hugging Face causal LM, read from its config.json.
//
// Supported model_type values: llama, mistral, qwen2, qwen3. Keys a model_type does not
// define take transformers' defaults for that model_type; keys wizard cannot honour
// (another hidden_act, an unsupported rope type) are errors, never silently ignored.
// The original JSON is kept so that saving writes back the same config.json.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard::model {

// The model_type values wizard implements, in the order messages list them.
WIZARD_API const std::vector<std::string>& supported_model_types();

// config.json's rope_scaling (or rope_parameters), as transformers' rope init functions
// read it. type "default" means plain RoPE.
struct WIZARD_API RopeScaling {
  std::string type = "default";  // default | linear | llama3
  double factor = 1.0;
  // llama3 only.
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 0;
};

// The rope types wizard implements.
WIZARD_API const std::vector<std::string>& supported_rope_types();

struct WIZARD_API ModelConfig {
  std::string model_type;  // llama | mistral | qwen2 | qwen3
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // < num_attention_heads: grouped-query attention
  int64_t head_dim = 0;             // config's head_dim, else hidden_size / heads
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 0;
  double initializer_range = 0.02;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;     // q/k/v projections (llama attention_bias, always for qwen2)
  bool o_proj_bias = false;  // output projection (llama/qwen3 attention_bias)
  bool mlp_bias = false;     // gate/up/down projections (llama mlp_bias)
  bool qk_norm = false;      // per-head RMSNorm of queries and keys (qwen3)
  // Sliding-window attention: a query attends to the `sliding_window` most recent keys
  // (itself included) in layers from `first_sliding_layer` on. Mistral: every layer;
  // Qwen2/Qwen3: only with use_sliding_window, from max_window_layers on.
  std::optional<int64_t> sliding_window;
  int64_t first_sliding_layer = 0;
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> pad_token_id;
  std::vector<int64_t> eos_token_ids;
  std::string torch_dtype = "float32";  // as written in config.json ("bfloat16", ...)
  // config.json as read (or as init_model built it); to_json() writes it back.
  nlohmann::json raw;

  // Parses a config.json object; `source` names it in error messages (usually the path).
  static ModelConfig from_json(const nlohmann::json& json,
                               const std::string& source = "config.json");
  static ModelConfig from_file(const std::filesystem::path& path);

  // The original JSON with torch_dtype set to this config's torch_dtype.
  nlohmann::json to_json() const;

  int64_t kv_groups() const { return num_attention_heads / num_key_value_heads; }
  // The window of one decoder layer, if it has one.
  std::optional<int64_t> sliding_window_of_layer(int64_t layer) const;
};

}  // namespace wizard::model
