#include "wizard/model/init_model.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

#include "init_tokenizer.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/checkpoint_io.hpp"

namespace wizard::model {

namespace {

const char* architecture_class(const std::string& model_type) {
  if (model_type == "llama") return "LlamaForCausalLM";
  if (model_type == "mistral") return "MistralForCausalLM";
  if (model_type == "qwen2") return "Qwen2ForCausalLM";
  return "Qwen3ForCausalLM";
}

void require(bool ok, const std::string& problem) {
  if (!ok) throw ConfigError("init-model: " + problem + ".");
}

void validate(const InitModelOptions& o) {
  const auto& types = supported_model_types();
  require(std::find(types.begin(), types.end(), o.architecture) != types.end(),
          "architecture '" + o.architecture + "' is not one of " + join(types));
  for (const auto& [name, value] : {std::pair<const char*, int64_t>{"hidden_size", o.hidden_size},
                                    {"num_hidden_layers", o.num_hidden_layers},
                                    {"num_attention_heads", o.num_attention_heads},
                                    {"num_key_value_heads", o.num_key_value_heads},
                                    {"intermediate_size", o.intermediate_size},
                                    {"max_position_embeddings", o.max_position_embeddings}}) {
    require(value > 0, std::string(name) + " must be positive, got " + std::to_string(value));
  }
  require(o.num_attention_heads % o.num_key_value_heads == 0,
          "num_key_value_heads (" + std::to_string(o.num_key_value_heads) +
              ") must divide num_attention_heads (" + std::to_string(o.num_attention_heads) + ")");
  require(o.head_dim || o.hidden_size % o.num_attention_heads == 0,
          "hidden_size must be a multiple of num_attention_heads unless head_dim is given");
  require(!o.vocab_size || *o.vocab_size >= init_model_tokenizer_size(),
          "vocab_size must hold the tokenizer's " + std::to_string(init_model_tokenizer_size()) +
              " tokens");
  require(!o.sliding_window || o.architecture == "mistral",
          "sliding_window is a Mistral option (architecture is " + o.architecture + ")");
  require(o.initializer_range > 0, "initializer_range must be positive");
  dtype_from_name(o.dtype);
}

// config.json as transformers' config class for the architecture writes it.
nlohmann::json config_json(const InitModelOptions& o, int64_t vocab_size) {
  const int64_t head_dim = o.head_dim.value_or(o.hidden_size / o.num_attention_heads);
  nlohmann::json c{{"architectures", {architecture_class(o.architecture)}},
                   {"model_type", o.architecture},
                   {"vocab_size", vocab_size},
                   {"hidden_size", o.hidden_size},
                   {"intermediate_size", o.intermediate_size},
                   {"num_hidden_layers", o.num_hidden_layers},
                   {"num_attention_heads", o.num_attention_heads},
                   {"num_key_value_heads", o.num_key_value_heads},
                   {"hidden_act", "silu"},
                   {"max_position_embeddings", o.max_position_embeddings},
                   {"initializer_range", o.initializer_range},
                   {"rms_norm_eps", o.rms_norm_eps},
                   {"rope_theta", o.rope_theta},
                   {"rope_scaling", nullptr},
                   {"tie_word_embeddings", o.tie_word_embeddings},
                   {"bos_token_id", InitTokenizer::id_of("<|endoftext|>")},
                   {"eos_token_id", InitTokenizer::id_of("<|im_end|>")},
                   {"attention_dropout", 0.0},
                   {"use_cache", true},
                   {"torch_dtype", o.dtype}};
  if (o.architecture != "qwen2" || o.head_dim) c["head_dim"] = head_dim;
  if (o.architecture == "llama") {
    c["attention_bias"] = false;
    c["mlp_bias"] = false;
    c["pretraining_tp"] = 1;
  } else if (o.architecture == "mistral") {
    c["sliding_window"] = o.sliding_window ? nlohmann::json(*o.sliding_window) : nullptr;
  } else {
    if (o.architecture == "qwen3") c["attention_bias"] = false;
    c["use_sliding_window"] = false;
    c["sliding_window"] = nullptr;
    c["max_window_layers"] = o.num_hidden_layers;
  }
  return c;
}

// transformers' _init_weights: N(0, initializer_range) for linear and embedding weights,
// zero biases, unit norms; drawn in float32 in parameter order from one seeded generator.
ModelWeights random_weights(const ModelConfig& config, uint64_t seed, at::ScalarType dtype) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  ModelWeights weights;
  visit_parameters(config, weights, [&](const ParameterSpec& spec, at::Tensor& slot) {
    at::Tensor value = at::empty(spec.shape, at::kFloat);
    switch (spec.kind) {
      case ParameterKind::embedding:
      case ParameterKind::linear_weight:
        value.normal_(0.0, config.initializer_range, generator);
        break;
      case ParameterKind::bias:
        value.zero_();
        break;
      case ParameterKind::norm:
        value.fill_(1.0);
        break;
    }
    slot = value.to(dtype);
  });
  return weights;
}

}  // namespace

int64_t init_model_tokenizer_size() {
  return InitTokenizer::size();
}

void init_model(const std::filesystem::path& folder, const InitModelOptions& options) {
  validate(options);
  const int64_t tokens = InitTokenizer::size();
  const int64_t vocab_size = options.vocab_size.value_or((tokens + 63) / 64 * 64);
  ModelConfig config = ModelConfig::from_json(config_json(options, vocab_size), "init-model");
  ModelWeights weights = random_weights(config, options.seed, dtype_from_name(options.dtype));
  CausalLM model(std::move(config), std::move(weights));
  model.set_generation_config({{"bos_token_id", InitTokenizer::id_of("<|endoftext|>")},
                               {"eos_token_id", InitTokenizer::id_of("<|im_end|>")},
                               {"pad_token_id", InitTokenizer::id_of("<|endoftext|>")}});
  SavePretrainedOptions save;
  save.write_extra = [&](const std::filesystem::path& staging) {
    write_json_file(staging / "tokenizer.json", InitTokenizer::tokenizer_json());
    write_json_file(staging / "tokenizer_config.json",
                    InitTokenizer::tokenizer_config_json(options.max_position_embeddings));
  };
  model.save_pretrained(folder, save);
}

}  // namespace wizard::model
