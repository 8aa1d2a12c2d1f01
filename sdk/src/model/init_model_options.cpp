// InitModelOptions: presets and the self-describing option table the CLI builds flags from.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"
#include "wizard/model/init_model.hpp"

namespace wizard::model {

namespace {

using Options = InitModelOptions;

[[noreturn]] void bad_value(const std::string& name, const std::string& text,
                            const std::string& expected) {
  throw ConfigError("init-model option '" + name + "': '" + text + "' is not " + expected + ".");
}

int64_t parse_int(const std::string& name, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) bad_value(name, text, "an integer");
  return value;
}

double parse_float(const std::string& name, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value)) {
    bad_value(name, text, "a finite number");
  }
  return value;
}

bool parse_bool(const std::string& name, const std::string& text) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  bad_value(name, text, "true or false");
}

std::string format(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

InitModelOption int_option(const char* name, int64_t Options::*field, const char* help) {
  return {name, "int", help, [field](const Options& o) { return std::to_string(o.*field); },
          [name, field](Options& o, const std::string& text) { o.*field = parse_int(name, text); }};
}

InitModelOption optional_int_option(const char* name, std::optional<int64_t> Options::*field,
                                    const char* help) {
  return {name, "int?", help,
          [field](const Options& o) {
            return (o.*field) ? std::to_string(*(o.*field)) : std::string("none");
          },
          [name, field](Options& o, const std::string& text) {
            o.*field =
                text == "none" ? std::nullopt : std::optional<int64_t>(parse_int(name, text));
          }};
}

InitModelOption float_option(const char* name, double Options::*field, const char* help) {
  return {
      name, "float", help, [field](const Options& o) { return format(o.*field); },
      [name, field](Options& o, const std::string& text) { o.*field = parse_float(name, text); }};
}

InitModelOption bool_option(const char* name, bool Options::*field, const char* help) {
  return {
      name, "bool", help,
      [field](const Options& o) { return std::string(o.*field ? "true" : "false"); },
      [name, field](Options& o, const std::string& text) { o.*field = parse_bool(name, text); }};
}

InitModelOption string_option(const char* name, std::string Options::*field, const char* help) {
  return {name, "string", help, [field](const Options& o) { return o.*field; },
          [field](Options& o, const std::string& text) { o.*field = text; }};
}

}  // namespace

namespace {

// The shapes of the presets; everything else keeps InitModelOptions' defaults.
struct Preset {
  const char* name;
  const char* architecture;
  int64_t hidden, layers, heads, kv_heads, intermediate;
  std::optional<int64_t> head_dim, vocab_size;
  int64_t max_positions;
};

const std::vector<Preset>& presets() {
  static const std::vector<Preset> table{
      {"tiny", "qwen2", 64, 2, 4, 2, 128, std::nullopt, std::nullopt, 2048},
      {"qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 4864, std::nullopt, 151936, 32768},
      {"qwen3-0.6b", "qwen3", 1024, 28, 16, 8, 3072, 128, 151936, 40960},
  };
  return table;
}

}  // namespace

const std::vector<std::string>& InitModelOptions::preset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const Preset& p : presets()) out.push_back(p.name);
    return out;
  }();
  return names;
}

InitModelOptions InitModelOptions::preset(const std::string& name) {
  for (const Preset& p : presets()) {
    if (name != p.name) continue;
    Options o;
    o.architecture = p.architecture;
    o.hidden_size = p.hidden;
    o.num_hidden_layers = p.layers;
    o.num_attention_heads = p.heads;
    o.num_key_value_heads = p.kv_heads;
    o.intermediate_size = p.intermediate;
    o.head_dim = p.head_dim;
    o.vocab_size = p.vocab_size;
    o.max_position_embeddings = p.max_positions;
    return o;
  }
  throw ConfigError("init-model: unknown preset '" + name + "'; presets are " +
                    join(preset_names()) + ".");
}

const std::vector<InitModelOption>& init_model_options() {
  static const std::vector<InitModelOption> table{
      string_option("architecture", &Options::architecture,
                    "model_type of the new model: llama, mistral, qwen2 or qwen3"),
      int_option("hidden_size", &Options::hidden_size, "width of the residual stream"),
      int_option("num_hidden_layers", &Options::num_hidden_layers, "decoder layers"),
      int_option("num_attention_heads", &Options::num_attention_heads, "query heads"),
      int_option("num_key_value_heads", &Options::num_key_value_heads,
                 "key/value heads (fewer than query heads: grouped-query attention)"),
      int_option("intermediate_size", &Options::intermediate_size, "width of the SwiGLU MLP"),
      optional_int_option("head_dim", &Options::head_dim,
                          "per-head width (none: hidden_size / num_attention_heads)"),
      optional_int_option("vocab_size", &Options::vocab_size,
                          "embedding rows (none: the tokenizer's 259 tokens rounded up to 64)"),
      bool_option("tie_word_embeddings", &Options::tie_word_embeddings,
                  "share the embedding matrix with the LM head"),
      float_option("rope_theta", &Options::rope_theta, "RoPE base frequency"),
      int_option("max_position_embeddings", &Options::max_position_embeddings,
                 "longest sequence the model is meant for"),
      float_option("rms_norm_eps", &Options::rms_norm_eps, "RMSNorm epsilon"),
      float_option("initializer_range", &Options::initializer_range,
                   "standard deviation of the normal initialisation of weights"),
      optional_int_option("sliding_window", &Options::sliding_window,
                          "Mistral only: attend to this many most recent tokens (none: all)"),
      {"seed", "int", "random seed of the initialisation",
       [](const Options& o) { return std::to_string(o.seed); },
       [](Options& o, const std::string& text) {
         o.seed = static_cast<uint64_t>(parse_int("seed", text));
       }},
      string_option("dtype", &Options::dtype,
                    "dtype of the saved weights: float32, bfloat16, float16"),
  };
  return table;
}

void set_init_model_option(InitModelOptions& options, const std::string& name,
                           const std::string& text) {
  const auto& table = init_model_options();
  const auto it = std::find_if(table.begin(), table.end(),
                               [&](const InitModelOption& option) { return option.name == name; });
  if (it == table.end()) {
    std::vector<std::string> names;
    for (const auto& option : table) names.push_back(option.name);
    const auto nearest = nearest_name(name, names);
    throw ConfigError(
        "init-model: unknown option '" + name + "'" +
        (nearest ? "; did you mean '" + *nearest + "'?" : "; options are " + join(names)) + "");
  }
  it->set(options, text);
}

}  // namespace wizard::model
