#include "wizard/model/config.hpp"

#include <algorithm>
#include <fstream>

#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"

namespace wizard::model {

namespace {

using nlohmann::json;

// transformers' constructor defaults of each configuration class (v4.51).
struct TypeDefaults {
  int64_t vocab_size;
  int64_t intermediate_size;
  std::optional<int64_t> num_key_value_heads;  // none: as many as attention heads
  std::optional<int64_t> head_dim;             // none: hidden_size / heads
  int64_t max_position_embeddings;
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> eos_token_id;
};

TypeDefaults defaults_of(const std::string& model_type) {
  if (model_type == "llama") return {32000, 11008, std::nullopt, std::nullopt, 2048, 1, 2};
  if (model_type == "mistral") return {32000, 14336, 8, std::nullopt, 4096 * 32, 1, 2};
  if (model_type == "qwen2")
    return {151936, 22016, std::nullopt, std::nullopt, 32768, std::nullopt, std::nullopt};
  return {151936, 22016, std::nullopt, 128, 32768, std::nullopt, std::nullopt};  // qwen3
}

// Typed access to config keys with messages that name the file and the key.
class Reader {
 public:
  Reader(const json& object, std::string source) : object_(object), source_(std::move(source)) {}

  bool has(const std::string& key) const {
    return object_.contains(key) && !object_.at(key).is_null();
  }

  int64_t integer(const std::string& key, std::optional<int64_t> fallback) const {
    if (!has(key)) {
      if (fallback) return *fallback;
      fail(key, "is required");
    }
    const json& value = object_.at(key);
    if (value.is_number_integer()) return value.get<int64_t>();
    if (value.is_number_float() && value.get<double>() == static_cast<int64_t>(value.get<double>()))
      return static_cast<int64_t>(value.get<double>());
    fail(key, "must be an integer, got " + value.dump());
  }

  std::optional<int64_t> optional_integer(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    return integer(key, std::nullopt);
  }

  double number(const std::string& key, double fallback) const {
    if (!has(key)) return fallback;
    const json& value = object_.at(key);
    if (!value.is_number()) fail(key, "must be a number, got " + value.dump());
    return value.get<double>();
  }

  double required_number(const std::string& key) const {
    if (!has(key)) fail(key, "is required");
    return number(key, 0.0);
  }

  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& value = object_.at(key);
    if (!value.is_boolean()) fail(key, "must be true or false, got " + value.dump());
    return value.get<bool>();
  }

  std::string text(const std::string& key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    const json& value = object_.at(key);
    if (!value.is_string()) fail(key, "must be a string, got " + value.dump());
    return value.get<std::string>();
  }

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw Error(source_ + ": key '" + key + "' " + problem + ".");
  }

 private:
  const json& object_;
  std::string source_;
};

std::vector<int64_t> read_eos_ids(const json& config, const std::string& source,
                                  std::optional<int64_t> fallback) {
  if (!config.contains("eos_token_id") || config.at("eos_token_id").is_null()) {
    return fallback ? std::vector<int64_t>{*fallback} : std::vector<int64_t>{};
  }
  const json& value = config.at("eos_token_id");
  std::vector<int64_t> ids;
  for (const json& id : value.is_array() ? value : json::array({value})) {
    if (!id.is_number_integer()) {
      throw Error(source + ": key 'eos_token_id' must be an integer or a list of integers, got " +
                  value.dump() + ".");
    }
    ids.push_back(id.get<int64_t>());
  }
  return ids;
}

// rope_scaling as transformers reads it: `type` is the legacy spelling of `rope_type` and
// wins when both are present; newer configs put everything in `rope_parameters`.
RopeScaling read_rope_scaling(const json& config, const std::string& source, double* rope_theta) {
  RopeScaling rope;
  std::string key = "rope_scaling";
  if ((!config.contains(key) || config.at(key).is_null()) && config.contains("rope_parameters") &&
      config.at("rope_parameters").is_object()) {
    key = "rope_parameters";
  }
  if (!config.contains(key) || config.at(key).is_null()) return rope;
  const json& object = config.at(key);
  if (!object.is_object()) {
    throw Error(source + ": key '" + key + "' must be an object or null, got " + object.dump() +
                ".");
  }
  const Reader reader(object, source + " (" + key + ")");
  if (key == "rope_parameters") *rope_theta = reader.number("rope_theta", *rope_theta);
  rope.type = reader.text("type", reader.text("rope_type", "default"));
  const auto& supported = supported_rope_types();
  if (std::find(supported.begin(), supported.end(), rope.type) == supported.end()) {
    throw Error(source + ": rope type '" + rope.type + "' in '" + key +
                "' is not supported; wizard implements " + join(supported) +
                ". Use a model with one of these or remove the key for plain RoPE.");
  }
  if (rope.type == "linear" || rope.type == "llama3") {
    rope.factor = reader.required_number("factor");
    if (rope.factor <= 0) reader.fail("factor", "must be positive");
  }
  if (rope.type == "llama3") {
    rope.low_freq_factor = reader.required_number("low_freq_factor");
    rope.high_freq_factor = reader.required_number("high_freq_factor");
    rope.original_max_position_embeddings =
        reader.integer("original_max_position_embeddings", std::nullopt);
    if (rope.low_freq_factor >= rope.high_freq_factor) {
      reader.fail("low_freq_factor", "must be smaller than high_freq_factor");
    }
  }
  return rope;
}

// A model_type wizard does not implement is an error naming the ones it does. A repository
// whose config.json maps transformers' Auto classes to its own Python files (`auto_map`,
// loaded with trust_remote_code=True, e.g. the original Qwen's model_type "qwen") gets a
// message saying so: wizard runs no Python, so only architectures it implements in C++ run.
void check_supported_model_type(const json& config, const std::string& model_type,
                                const std::string& source) {
  const auto& types = supported_model_types();
  if (std::find(types.begin(), types.end(), model_type) != types.end()) return;
  const auto auto_map = config.find("auto_map");
  if (auto_map != config.end() && auto_map->is_object()) {
    std::string code;
    for (const char* cls : {"AutoModelForCausalLM", "AutoModel", "AutoConfig"}) {
      const auto entry = auto_map->find(cls);
      if (entry != auto_map->end() && entry->is_string()) {
        code = std::string(cls) + " -> " + entry->get<std::string>();
        break;
      }
    }
    throw Error(source + ": model_type '" + model_type +
                "' needs remote code: the repository brings its own Python model (auto_map" +
                (code.empty() ? "" : ": " + code) +
                ") that transformers runs only with trust_remote_code=True. wizard runs no "
                "Python; it implements these architectures itself: " +
                join(types) +
                ". Use a model of one of them (the Qwen2, Qwen2.5 and Qwen3 releases are "
                "qwen2 and qwen3).");
  }
  throw Error(source + ": model_type '" + model_type + "' is not supported; wizard implements " +
              join(types) + ".");
}

}  // namespace

const std::vector<std::string>& supported_model_types() {
  static const std::vector<std::string> types{"llama", "mistral", "qwen2", "qwen3"};
  return types;
}

const std::vector<std::string>& supported_rope_types() {
  static const std::vector<std::string> types{"default", "linear", "llama3"};
  return types;
}

ModelConfig ModelConfig::from_json(const json& config, const std::string& source) {
  if (!config.is_object()) throw Error(source + ": a model config must be a JSON object.");
  const Reader reader(config, source);
  ModelConfig c;
  c.raw = config;
  c.model_type = reader.text("model_type", "");
  if (c.model_type.empty()) {
    throw Error(source + ": has no model_type; it names the architecture (one of " +
                join(supported_model_types()) +
                ") and transformers writes it into every config.json. Add it, or check that this "
                "is a model's config.json");
  }
  check_supported_model_type(config, c.model_type, source);
  const TypeDefaults defaults = defaults_of(c.model_type);
  const bool is_llama = c.model_type == "llama";

  c.vocab_size = reader.integer("vocab_size", defaults.vocab_size);
  c.hidden_size = reader.integer("hidden_size", 4096);
  c.intermediate_size = reader.integer("intermediate_size", defaults.intermediate_size);
  c.num_hidden_layers = reader.integer("num_hidden_layers", 32);
  c.num_attention_heads = reader.integer("num_attention_heads", 32);
  c.num_key_value_heads = reader.integer(
      "num_key_value_heads", defaults.num_key_value_heads.value_or(c.num_attention_heads));
  for (const char* key : {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                          "num_attention_heads", "num_key_value_heads"}) {
    if (reader.integer(key, 1) <= 0) reader.fail(key, "must be positive");
  }
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    reader.fail("num_key_value_heads",
                "must divide num_attention_heads (" + std::to_string(c.num_attention_heads) + ")");
  }
  c.head_dim =
      reader.integer("head_dim", defaults.head_dim.value_or(c.hidden_size / c.num_attention_heads));
  if (c.head_dim <= 0 || c.head_dim % 2 != 0) {
    reader.fail("head_dim", "must be a positive even number (RoPE rotates pairs), got " +
                                std::to_string(c.head_dim));
  }

  const std::string act = reader.text("hidden_act", "silu");
  if (act != "silu" && act != "swish") {
    reader.fail("hidden_act", "is '" + act + "'; wizard implements only silu (SwiGLU MLP)");
  }
  c.rms_norm_eps = reader.number("rms_norm_eps", 1e-6);
  c.rope_theta = reader.number("rope_theta", 10000.0);
  c.rope_scaling = read_rope_scaling(config, source, &c.rope_theta);
  c.max_position_embeddings =
      reader.integer("max_position_embeddings", defaults.max_position_embeddings);
  c.initializer_range = reader.number("initializer_range", 0.02);
  c.tie_word_embeddings = reader.boolean("tie_word_embeddings", false);

  const bool attention_bias = reader.boolean("attention_bias", false);
  c.qkv_bias = c.model_type == "qwen2" || ((is_llama || c.model_type == "qwen3") && attention_bias);
  c.o_proj_bias = (is_llama || c.model_type == "qwen3") && attention_bias;
  c.mlp_bias = is_llama && reader.boolean("mlp_bias", false);
  c.qk_norm = c.model_type == "qwen3";

  if (c.model_type == "mistral") {
    c.sliding_window = reader.has("sliding_window") ? reader.optional_integer("sliding_window")
                       : config.contains("sliding_window") ? std::nullopt
                                                           : std::optional<int64_t>(4096);
  } else if (c.model_type == "qwen2" || c.model_type == "qwen3") {
    if (reader.boolean("use_sliding_window", false)) {
      c.sliding_window = reader.optional_integer("sliding_window");
      c.first_sliding_layer = reader.integer("max_window_layers", 28);
    }
  }
  if (c.sliding_window && *c.sliding_window <= 0) reader.fail("sliding_window", "must be positive");

  c.bos_token_id = reader.has("bos_token_id") || config.contains("bos_token_id")
                       ? reader.optional_integer("bos_token_id")
                       : defaults.bos_token_id;
  c.pad_token_id = reader.optional_integer("pad_token_id");
  c.eos_token_ids = read_eos_ids(config, source, defaults.eos_token_id);
  c.torch_dtype = reader.text("torch_dtype", reader.text("dtype", "float32"));
  return c;
}

ModelConfig ModelConfig::from_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    throw Error("cannot open model config " + path.string() +
                ": a model folder must contain the config.json that save_pretrained writes.");
  }
  json parsed;
  try {
    parsed = json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(path.string() + ": not valid JSON (" + json_error_reason(e) + ").");
  }
  return from_json(parsed, path.string());
}

json ModelConfig::to_json() const {
  json out = raw;
  const bool new_spelling = out.contains("dtype") && !out.contains("torch_dtype");
  out[new_spelling ? "dtype" : "torch_dtype"] = torch_dtype;
  return out;
}

std::optional<int64_t> ModelConfig::sliding_window_of_layer(int64_t layer) const {
  if (sliding_window && layer >= first_sliding_layer) return sliding_window;
  return std::nullopt;
}

}  // namespace wizard::model
