// CausalLM::from_pretrained / save_pretrained: Hugging Face model folders in and out.
#include <fstream>
#include <set>

#include "model/weight_checks.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/checkpoint_io.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::model {

namespace {

namespace fs = std::filesystem;

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// Checkpoint entries transformers knows to skip: buffers older versions saved.
bool ignored_on_load(const std::string& name) {
  const std::string suffix = "rotary_emb.inv_freq";
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

nlohmann::json read_optional_json(const fs::path& path) {
  if (!fs::exists(path)) return nullptr;
  std::ifstream in(path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(path.string() + ": not valid JSON (" + json_error_reason(e) + ").");
  }
}

// What GenerationConfig.from_model_config keeps when a folder has no generation_config.json.
nlohmann::json generation_config_from(const ModelConfig& config) {
  nlohmann::json out{{"_from_model_config", true}};
  if (config.bos_token_id) out["bos_token_id"] = *config.bos_token_id;
  if (config.eos_token_ids.size() == 1) out["eos_token_id"] = config.eos_token_ids[0];
  if (config.eos_token_ids.size() > 1) out["eos_token_id"] = config.eos_token_ids;
  if (config.pad_token_id) out["pad_token_id"] = *config.pad_token_id;
  return out;
}

bool is_float_dtype(const safetensors::TensorInfo& info) {
  return info.dtype != at::ScalarType::Undefined && at::isFloatingType(info.dtype);
}

}  // namespace

void check_finite_weight(const at::Tensor& weight, const std::string& name,
                         const std::string& source) {
  const at::Tensor bad = at::isfinite(weight).logical_not_();
  if (!bad.any().item<bool>()) return;
  const int64_t count = bad.sum().item<int64_t>();
  const int64_t first = bad.flatten().nonzero()[0][0].item<int64_t>();
  throw Error(source + ": weight '" + name + "' holds " + std::to_string(count) +
              " NaN or infinite value(s) (the first at flat index " + std::to_string(first) +
              " of " + std::to_string(weight.numel()) +
              "); the file is damaged or was saved from a run that diverged. Use an earlier "
              "checkpoint or re-download the model");
}

at::ScalarType dtype_from_name(const std::string& name) {
  if (name == "float32" || name == "float" || name == "fp32") return at::kFloat;
  if (name == "bfloat16" || name == "bf16") return at::kBFloat16;
  if (name == "float16" || name == "half" || name == "fp16") return at::kHalf;
  throw Error("unknown dtype '" + name + "'; use float32, bfloat16 or float16.");
}

std::string dtype_name_of(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat:
      return "float32";
    case at::kBFloat16:
      return "bfloat16";
    case at::kHalf:
      return "float16";
    default:
      throw Error(std::string("model parameters must be float32, bfloat16 or float16, not ") +
                  c10::toString(dtype) + ".");
  }
}

CausalLM CausalLM::from_pretrained(const fs::path& folder, at::ScalarType dtype,
                                   at::Device device) {
  dtype_name_of(dtype);  // rejects other dtypes before anything is read
  ModelConfig config = ModelConfig::from_file(folder / "config.json");
  const auto checkpoint = safetensors::Checkpoint::open(folder);

  std::vector<std::string> problems;
  std::set<std::string> expected;
  for (const ParameterSpec& spec : parameter_specs(config)) {
    expected.insert(spec.name);
    if (!checkpoint.contains(spec.name)) {
      problems.push_back(spec.name + ": missing (expected shape " + shape_text(spec.shape) + ")");
    } else if (checkpoint.info(spec.name).shape != spec.shape) {
      problems.push_back(spec.name + ": shape " + shape_text(checkpoint.info(spec.name).shape) +
                         ", expected " + shape_text(spec.shape));
    } else if (!is_float_dtype(checkpoint.info(spec.name))) {
      problems.push_back(spec.name + ": stored as " + checkpoint.info(spec.name).dtype_name +
                         ", but the model's weights are floating point (F32, BF16, F16)");
    }
  }
  if (!problems.empty()) {
    throw Error(folder.string() + ": the checkpoint does not fit its config.json (model_type " +
                config.model_type + "):\n  " + join(problems, "\n  ") +
                "\nCheck that config.json belongs to these weights.");
  }
  std::vector<std::string> unexpected;
  for (const std::string& name : checkpoint.names()) {
    if (!expected.count(name) && !ignored_on_load(name)) unexpected.push_back(name);
  }
  if (!unexpected.empty()) {
    logger()->warn("{}: {} checkpoint tensor(s) not used by the {} architecture: {}",
                   folder.string(), unexpected.size(), config.model_type, join(unexpected));
  }

  ModelWeights weights;
  visit_parameters(config, weights, [&](const ParameterSpec& spec, at::Tensor& slot) {
    slot = checkpoint.load(spec.name, dtype, device);
    check_finite_weight(slot, spec.name, folder.string());
    slot.requires_grad_(true);
  });
  config.torch_dtype = dtype_name_of(dtype);
  CausalLM model(std::move(config), std::move(weights));
  model.set_generation_config(read_optional_json(folder / "generation_config.json"));
  return model;
}

void CausalLM::save_pretrained(const fs::path& folder, const SavePretrainedOptions& options) const {
  ModelWeights handles = weights_;
  for (DecoderLayerWeights& layer : handles.layers) {
    for (const LayerLinear& linear : layer_linears(layer)) {
      if (linear.adapter.quantized || linear.adapter.lora_A.defined()) {
        throw Error(std::string("save_pretrained: the model's ") + linear.name +
                    " layers carry LoRA adapters or a quantised weight; save the adapter "
                    "(lora.hpp) or merge it into a model loaded unquantised first");
      }
    }
  }
  const at::ScalarType dtype = options.dtype.value_or(this->dtype());
  safetensors::NamedTensors tensors;
  for (const auto& [name, tensor] : named_parameters()) {
    tensors.emplace_back(name, tensor.detach().to(dtype));
  }
  ModelConfig saved = *config_;
  saved.torch_dtype = dtype_name_of(dtype);
  SaveOptions save;
  save.max_shard_bytes = options.max_shard_bytes;
  save.config = saved.to_json();
  save.generation_config =
      generation_config_.is_null() ? generation_config_from(saved) : generation_config_;
  save.tokenizer_source = options.tokenizer_source;
  save.write_extra = options.write_extra;
  save_model_folder(folder, tensors, save);
}

}  // namespace wizard::model
