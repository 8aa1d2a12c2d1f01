#include "wizard/model/lora.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "wizard/base/error.hpp"
#include "wizard/model/checkpoint_io.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::model {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "base_model.model.";  // PEFT's prefix of the base model's names

std::string layer_path(int64_t layer, const std::string& linear) {
  return "model.layers." + std::to_string(layer) + "." + linear;
}

// PEFT's match of a list entry: the path itself, or a path ending in "." + entry.
bool matches(const std::string& path, const std::string& entry) {
  return path == entry || (path.size() > entry.size() &&
                           path.compare(path.size() - entry.size(), entry.size(), entry) == 0 &&
                           path[path.size() - entry.size() - 1] == '.');
}

bool all_linear(const LoraOptions& o) {
  return o.target_regex.empty() && o.target_modules.size() == 1 &&
         o.target_modules[0] == "all-linear";
}

// Calls fn(path, linear) for every linear layer of every decoder layer.
template <typename Fn>
void for_each_linear(ModelWeights& weights, Fn&& fn) {
  for (std::size_t l = 0; l < weights.layers.size(); ++l) {
    for (LayerLinear& linear : layer_linears(weights.layers[l])) {
      fn(layer_path(static_cast<int64_t>(l), linear.name), linear);
    }
  }
}

bool adapted(const LayerLinear& linear) {
  return linear.adapter.lora_A.defined();
}

// The trainable tensors with PEFT's adapter-file names, from the weights as they are.
NamedParameters named_trainables(ModelWeights& weights, const ModelConfig& config,
                                 const LoraOptions& options) {
  NamedParameters out;
  for_each_linear(weights, [&](const std::string& path, LayerLinear& linear) {
    if (adapted(linear)) {
      out.emplace_back(kPrefix + path + ".lora_A.weight", linear.adapter.lora_A);
      out.emplace_back(kPrefix + path + ".lora_B.weight", linear.adapter.lora_B);
    }
    const bool bias = options.bias == "all" || (options.bias == "lora_only" && adapted(linear));
    if (bias && linear.bias.defined()) {
      out.emplace_back(kPrefix + path + (adapted(linear) ? ".base_layer.bias" : ".bias"),
                       linear.bias);
    }
  });
  for (const std::string& module : options.modules_to_save) {
    if (module == "lm_head" && !config.tie_word_embeddings) {
      out.emplace_back(std::string(kPrefix) + "lm_head.weight", weights.lm_head);
    } else if (module == "embed_tokens") {
      out.emplace_back(std::string(kPrefix) + "model.embed_tokens.weight", weights.embed_tokens);
    }
  }
  return out;
}

at::Tensor kaiming_uniform(int64_t rows, int64_t fan_in, at::Generator& generator) {
  // kaiming_uniform_(a = sqrt(5)): gain sqrt(2 / (1 + 5)), bound gain * sqrt(3 / fan_in)
  // = 1 / sqrt(fan_in).
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return at::empty({rows, fan_in}, at::kFloat).uniform_(-bound, bound, generator);
}

}  // namespace

double LoraOptions::scaling() const {
  return use_rslora ? lora_alpha / std::sqrt(static_cast<double>(r))
                    : lora_alpha / static_cast<double>(r);
}

void LoraOptions::check() const {
  if (r < 1) throw Error("LoRA: r = " + std::to_string(r) + " must be at least 1");
  if (!(lora_dropout >= 0 && lora_dropout < 1)) {
    throw Error("LoRA: lora_dropout = " + std::to_string(lora_dropout) + " must be in [0, 1)");
  }
  if (bias != "none" && bias != "all" && bias != "lora_only") {
    throw Error("LoRA: bias = \"" + bias + "\" must be \"none\", \"all\" or \"lora_only\"");
  }
  for (const std::string& module : modules_to_save) {
    if (module != "lm_head" && module != "embed_tokens") {
      throw Error("LoRA: modules_to_save = \"" + module +
                  "\": wizard trains whole modules \"lm_head\" and \"embed_tokens\" only");
    }
  }
  if (target_regex.empty() && target_modules.empty()) {
    throw Error("LoRA: target_modules is empty; name the layers to adapt or \"all-linear\"");
  }
}

std::vector<std::string> lora_target_paths(const ModelConfig& config, const LoraOptions& options) {
  options.check();
  for (const std::string& module : options.modules_to_save) {
    if (config.tie_word_embeddings) {
      throw Error("LoRA: modules_to_save = \"" + module +
                  "\" on a model whose LM head is tied to its embeddings: PEFT trains a copy "
                  "of the module, which unties them; train the adapters only");
    }
  }
  const std::regex pattern(options.target_regex.empty() ? "$^" : options.target_regex);
  std::vector<std::string> paths;
  std::set<std::string> used;
  ModelWeights scratch;
  scratch.layers.resize(config.num_hidden_layers);
  for_each_linear(scratch, [&](const std::string& path, LayerLinear&) {
    bool hit = all_linear(options);
    if (!options.target_regex.empty()) hit = std::regex_match(path, pattern);
    if (!all_linear(options)) {
      for (const std::string& entry : options.target_modules) {
        if (matches(path, entry)) {
          hit = true;
          used.insert(entry);
        }
      }
    }
    if (hit) paths.push_back(path);
  });
  if (!all_linear(options)) {
    for (const std::string& entry : options.target_modules) {
      if (used.count(entry)) continue;
      const bool outside =
          entry == "lm_head" || entry == "embed_tokens" || entry == "model.embed_tokens";
      throw Error("LoRA: target_modules entry \"" + entry + "\" " +
                  (outside ? "is not a linear layer of a decoder layer; wizard adapts those "
                             "(q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj) "
                             "and trains the LM head or embeddings whole through "
                             "modules_to_save"
                           : "matches no layer of the model (its linear layers are q_proj, "
                             "k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)"));
    }
  }
  if (paths.empty()) {
    throw Error("LoRA: target_modules selects no linear layer of the model");
  }
  return paths;
}

void add_lora(CausalLM& model, const LoraOptions& options, uint64_t seed) {
  const std::vector<std::string> targets = lora_target_paths(model.config(), options);
  const std::set<std::string> wanted(targets.begin(), targets.end());
  model.set_requires_grad(false);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto options_of = at::TensorOptions().dtype(model.dtype()).device(model.device());
  std::map<std::string, std::vector<int64_t>> shapes;  // the weights may be quantised
  for (const ParameterSpec& spec : parameter_specs(model.config())) shapes[spec.name] = spec.shape;
  ModelWeights& weights = model.mutable_weights();
  for_each_linear(weights, [&](const std::string& path, LayerLinear& linear) {
    if (!wanted.count(path)) return;
    LinearAdapter& a = linear.adapter;
    const std::vector<int64_t>& shape = shapes.at(path + ".weight");
    const int64_t out = shape[0], in = shape[1];
    a.lora_A = kaiming_uniform(options.r, in, generator).to(options_of).requires_grad_(true);
    a.lora_B = at::zeros({out, options.r}, options_of).requires_grad_(true);
    a.scaling = options.scaling();
    a.dropout = options.lora_dropout;
  });
  for (auto& [name, tensor] : named_trainables(weights, model.config(), options)) {
    tensor.requires_grad_(true);
  }
}

NamedParameters lora_parameters(const CausalLM& model, const LoraOptions& options) {
  ModelWeights handles = model.weights();
  return named_trainables(handles, model.config(), options);
}

void save_lora_adapter(const CausalLM& model, const LoraOptions& options, const fs::path& folder,
                       const std::string& base_model_name_or_path) {
  fs::create_directories(folder);
  safetensors::NamedTensors tensors;
  for (const auto& [name, tensor] : lora_parameters(model, options)) {
    tensors.emplace_back(name, tensor.detach());
  }
  safetensors::save(folder / "adapter_model.safetensors", tensors);
  nlohmann::json modules_to_save = nullptr;
  if (!options.modules_to_save.empty()) modules_to_save = options.modules_to_save;
  // PEFT writes its keys sorted, as nlohmann::json keeps them.
  nlohmann::json config = {
      {"alpha_pattern", nlohmann::json::object()},
      {"base_model_name_or_path", base_model_name_or_path},
      {"bias", options.bias},
      {"fan_in_fan_out", false},
      {"inference_mode", true},
      {"init_lora_weights", true},
      {"layers_pattern", nullptr},
      {"layers_to_transform", nullptr},
      {"lora_alpha", options.lora_alpha},
      {"lora_bias", false},
      {"lora_dropout", options.lora_dropout},
      {"modules_to_save", modules_to_save},
      {"peft_type", "LORA"},
      {"r", options.r},
      {"rank_pattern", nlohmann::json::object()},
      {"revision", nullptr},
      // The adapted layers' paths, as PEFT writes them for "all-linear".
      {"target_modules", lora_target_paths(model.config(), options)},
      {"task_type", "CAUSAL_LM"},
      {"use_dora", false},
      {"use_rslora", options.use_rslora},
  };
  write_json_file(folder / "adapter_config.json", config);
}

LoraOptions read_lora_config(const fs::path& folder) {
  const fs::path file = folder / "adapter_config.json";
  std::ifstream in(file);
  if (!in) throw Error("no adapter_config.json in " + folder.string() + ": not a PEFT adapter");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw Error(file.string() + ": not valid JSON: " + e.what());
  }
  auto refuse = [&](const std::string& key, const std::string& why) {
    throw Error(file.string() + ": " + key + " " + why + "; wizard applies plain LoRA adapters");
  };
  if (json.value("peft_type", std::string()) != "LORA") {
    refuse("peft_type", "is \"" + json.value("peft_type", std::string()) + "\", not \"LORA\"");
  }
  auto is_set = [&](const char* key) {
    return json.contains(key) && !json[key].is_null() && json[key] != false &&
           !(json[key].is_object() && json[key].empty()) &&
           !(json[key].is_array() && json[key].empty());
  };
  for (const char* key : {"use_dora", "fan_in_fan_out", "rank_pattern", "alpha_pattern",
                          "layers_to_transform", "lora_bias", "trainable_token_indices",
                          "target_parameters", "exclude_modules", "layer_replication"}) {
    if (is_set(key)) refuse(key, "= " + json[key].dump() + " is not supported");
  }
  LoraOptions options;
  try {
    options.r = json.at("r").get<int64_t>();
    options.lora_alpha = json.at("lora_alpha").get<double>();
    options.lora_dropout = json.value("lora_dropout", 0.0);
    options.use_rslora = json.value("use_rslora", false);
    options.bias = json.value("bias", std::string("none"));
    const auto& targets = json.at("target_modules");
    if (targets.is_string()) {
      const std::string target = targets.get<std::string>();
      if (target == "all-linear") {
        options.target_modules = {target};
      } else {
        options.target_modules.clear();
        options.target_regex = target;
      }
    } else {
      options.target_modules = targets.get<std::vector<std::string>>();
    }
    if (json.contains("modules_to_save") && !json["modules_to_save"].is_null()) {
      options.modules_to_save = json["modules_to_save"].get<std::vector<std::string>>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": " + e.what());
  }
  try {
    options.check();
  } catch (const Error& e) {
    throw Error(file.string() + ": " + e.what());
  }
  return options;
}

void load_lora_adapter(CausalLM& model, const LoraOptions& options, const fs::path& folder) {
  bool has_adapters = false;
  for_each_linear(model.mutable_weights(), [&](const std::string&, LayerLinear& linear) {
    has_adapters = has_adapters || adapted(linear);
  });
  if (!has_adapters) add_lora(model, options, 0);
  const safetensors::File file = safetensors::File::open(folder / "adapter_model.safetensors");
  at::NoGradGuard no_grad;
  for (auto& [name, tensor] : lora_parameters(model, options)) {
    if (!file.contains(name)) {
      throw Error(file.path().string() + ": has no tensor " + name +
                  ", which the adapter's configuration asks for");
    }
    const at::Tensor loaded = file.load(name, tensor.scalar_type(), tensor.device());
    if (loaded.sizes() != tensor.sizes()) {
      throw Error(file.path().string() + ": " + name + " has shape " + c10::str(loaded.sizes()) +
                  ", the model needs " + c10::str(tensor.sizes()));
    }
    tensor.copy_(loaded);
  }
}

void merge_lora(CausalLM& model) {
  at::NoGradGuard no_grad;
  for_each_linear(model.mutable_weights(), [&](const std::string& path, LayerLinear& linear) {
    LinearAdapter& a = linear.adapter;
    if (!adapted(linear)) return;
    if (!linear.weight.defined()) {
      throw Error("merge_lora: " + path +
                  " holds its base weight quantised; merge into the model loaded unquantised");
    }
    const at::Tensor delta = at::matmul(a.lora_B.to(at::kFloat), a.lora_A.to(at::kFloat));
    const bool requires_grad = linear.weight.requires_grad();
    linear.weight = (linear.weight.to(at::kFloat) + delta * a.scaling)
                        .to(linear.weight.scalar_type())
                        .requires_grad_(requires_grad);
    a.lora_A = at::Tensor();
    a.lora_B = at::Tensor();
  });
}

void save_merged_adapter(const fs::path& adapter_dir, const fs::path& base_folder,
                         const fs::path& out, std::optional<at::ScalarType> dtype) {
  const LoraOptions options = read_lora_config(adapter_dir);
  const ModelConfig config = ModelConfig::from_file(base_folder / "config.json");
  const at::ScalarType in = dtype.value_or(dtype_from_name(config.torch_dtype));
  CausalLM model = CausalLM::from_pretrained(base_folder, in);
  load_lora_adapter(model, options, adapter_dir);
  merge_lora(model);
  SavePretrainedOptions save;
  save.tokenizer_source = fs::exists(adapter_dir / "tokenizer.json") ||
                                  fs::exists(adapter_dir / "tokenizer_config.json")
                              ? adapter_dir
                              : base_folder;
  model.save_pretrained(out, save);
}

}  // namespace wizard::model
