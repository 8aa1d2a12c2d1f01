#include "wizard/model/init_model.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <tuple>

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

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string gib(long double bytes) {
  char text[48];
  std::snprintf(text, sizeof text, "%.1Lf GiB", bytes / (1024.0L * 1024 * 1024));
  return text;
}

// Parameters the options describe, in long double so that absurd sizes cannot overflow.
struct SizeEstimate {
  long double parameters = 0;
  long double largest_tensor = 0;  // elements
};

SizeEstimate estimate_size(const InitModelOptions& o, int64_t vocab_size) {
  const long double hidden = o.hidden_size, heads = o.num_attention_heads,
                    kv_heads = o.num_key_value_heads, inter = o.intermediate_size,
                    head_dim = o.head_dim.value_or(o.hidden_size / o.num_attention_heads);
  const long double layer = hidden * heads * head_dim * 2         // q_proj, o_proj
                            + hidden * kv_heads * head_dim * 2    // k_proj, v_proj
                            + hidden * inter * 3                  // gate, up, down
                            + hidden * 2 + head_dim * 2           // norms
                            + (heads + 2 * kv_heads) * head_dim;  // biases (at most)
  const long double embedding = static_cast<long double>(vocab_size) * hidden;
  SizeEstimate out;
  out.parameters =
      layer * o.num_hidden_layers + embedding * (o.tie_word_embeddings ? 1 : 2) + hidden;
  out.largest_tensor = std::max({embedding, hidden * inter, hidden * heads * head_dim});
  return out;
}

long double physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<long double>(pages) * page : 0;
}

// Drawing the weights holds all of them in `dtype` plus the largest tensor in float32 while
// it is drawn; a model that cannot fit is refused with the figures before anything is
// allocated (LibTorch's allocator would fail deep inside, or the machine would swap).
void check_fits_in_memory(const InitModelOptions& o, int64_t vocab_size) {
  const SizeEstimate size = estimate_size(o, vocab_size);
  const long double element = static_cast<long double>(c10::elementSize(dtype_from_name(o.dtype)));
  const long double needed = size.parameters * element + size.largest_tensor * 4;
  const long double memory = physical_memory_bytes();
  char count[48];
  std::snprintf(count, sizeof count, "%.3Lg", size.parameters);
  require(memory <= 0 || needed <= memory,
          "the model would have " + std::string(count) +
              " parameters: " + gib(size.parameters * element) + " of " + o.dtype + " weights, " +
              gib(needed) + " of memory to draw them, more than this machine's " + gib(memory) +
              "; choose smaller sizes (hidden_size, num_hidden_layers, intermediate_size, "
              "vocab_size) or a preset");
}

void validate(const InitModelOptions& o) {
  const auto& types = supported_model_types();
  require(std::find(types.begin(), types.end(), o.architecture) != types.end(),
          "architecture '" + o.architecture + "' is not one of " + join(types));
  // Bounds far above any real model (Llama 3 405B: hidden 16384, 126 layers, 53248 MLP).
  constexpr int64_t kMaxWidth = 1 << 20, kMaxLayers = 10'000, kMaxPositions = 1 << 26;
  for (const auto& [name, value, max] :
       {std::tuple<const char*, int64_t, int64_t>{"hidden_size", o.hidden_size, kMaxWidth},
        {"num_hidden_layers", o.num_hidden_layers, kMaxLayers},
        {"num_attention_heads", o.num_attention_heads, kMaxWidth},
        {"num_key_value_heads", o.num_key_value_heads, kMaxWidth},
        {"intermediate_size", o.intermediate_size, kMaxWidth},
        {"max_position_embeddings", o.max_position_embeddings, kMaxPositions},
        {"head_dim", o.head_dim.value_or(1), kMaxWidth},
        {"vocab_size", o.vocab_size.value_or(init_model_tokenizer_size()), kMaxPositions},
        {"sliding_window", o.sliding_window.value_or(1), kMaxPositions}}) {
    require(value > 0 && value <= max, std::string(name) + " must be in [1, " +
                                           std::to_string(max) + "], got " + std::to_string(value));
  }
  for (const auto& [name, value, min, max] :
       {std::tuple<const char*, double, double, double>{"rope_theta", o.rope_theta, 1e-3, 1e12},
        {"rms_norm_eps", o.rms_norm_eps, 1e-12, 1},
        {"initializer_range", o.initializer_range, 1e-12, 10}}) {
    require(std::isfinite(value) && value >= min && value <= max,
            std::string(name) + " must be a finite number in [" + format_number(min) + ", " +
                format_number(max) + "], got " + format_number(value));
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
  check_fits_in_memory(options, vocab_size);
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
