#include "adapter_settings.hpp"

#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/model/checkpoint_io.hpp"

namespace wizard::cpo {

namespace fs = std::filesystem;

OptionDocs lora_spec_options() {
  return {
      {"r", "int", "32", "the adapters' rank"},
      {"lora_alpha", "float", "64", "scaling = lora_alpha / r (use_rslora: / sqrt(r))"},
      {"lora_dropout", "float", "0.05", "dropout on the adapters' input while training"},
      {"bias", "string", "none",
       "none; all: every bias trains; lora_only: the adapted layers' biases train"},
      {"target_modules", "string or list", "all-linear",
       "the linear layers to adapt: names (q_proj, mlp.up_proj, ...), \"all-linear\" (all but "
       "the LM head) or a regular expression matching whole module paths"},
      {"use_rslora", "bool", "false", "rank-stabilised LoRA: scaling lora_alpha / sqrt(r)"},
      {"modules_to_save", "list", "", "whole modules that train too: lm_head, embed_tokens"},
      {"task_type", "string", "CAUSAL_LM", "PEFT's task type: CAUSAL_LM only"},
      {"init_lora_weights", "bool", "true", "PEFT's initialisation (A kaiming-uniform, B zero)"},
      {"fan_in_fan_out", "bool", "false", "for Conv1D layers (GPT-2); false only"},
  };
}

OptionDocs quantization_spec_options() {
  return {
      {"load_in_4bit", "bool", "true", "keep the frozen base's linear weights in 4 bits"},
      {"bnb_4bit_quant_type", "string", "nf4", "the 4-bit code: nf4 or fp4"},
      {"bnb_4bit_use_double_quant", "bool", "false",
       "the blocks' absolute maxima in 8 bits too (0.4 bits per weight saved)"},
      {"bnb_4bit_compute_dtype", "string", "bfloat16",
       "the dtype the dequantised weights compute in: bfloat16, float16, float32"},
      {"load_in_8bit", "bool", "false", "LLM.int8(): not supported (refused)"},
      {"bits", "int", "", "GPTQ: not supported (refused)"},
      {"use_exllama", "bool", "", "GPTQ: not supported (refused)"},
  };
}

namespace {

model::LoraOptions read_lora(const Config& spec) {
  spec.check_keys(lora_spec_options());
  model::LoraOptions o;
  o.r = spec.get_int("r", 32, 1, 1 << 20);
  o.lora_alpha = spec.get_number("lora_alpha", 64, 0, 1e9);
  o.lora_dropout = spec.get_number("lora_dropout", 0.05, 0, 0.999999);
  o.use_rslora = spec.get<bool>("use_rslora", false);
  o.bias = spec.get<std::string>("bias", "none");
  if (o.bias != "none" && o.bias != "all" && o.bias != "lora_only") {
    spec.fail("bias", "must be \"none\", \"all\" or \"lora_only\", got \"" + o.bias + "\"");
  }
  const ConfigValue* targets = spec.find("target_modules");
  if (targets && targets->is(ConfigValue::Kind::Array)) {
    o.target_modules = spec.get<std::vector<std::string>>("target_modules", {});
    if (o.target_modules.empty()) {
      spec.fail("target_modules", "is empty; name the layers to adapt or write \"all-linear\"");
    }
  } else {
    const std::string target = spec.get<std::string>("target_modules", "all-linear");
    if (target != "all-linear") {
      o.target_modules.clear();
      o.target_regex = target;  // PEFT: a string other than "all-linear" is a regex
    }
  }
  o.modules_to_save = spec.get<std::vector<std::string>>("modules_to_save", {});
  if (spec.get<std::string>("task_type", "CAUSAL_LM") != "CAUSAL_LM") {
    spec.fail("task_type", "must be \"CAUSAL_LM\": wizard trains causal language models");
  }
  if (!spec.get<bool>("init_lora_weights", true)) {
    spec.fail("init_lora_weights",
              "= false (random B) is not supported: adapters start at zero, as PEFT's default");
  }
  if (spec.get<bool>("fan_in_fan_out", false)) {
    spec.fail("fan_in_fan_out", "= true is for GPT-2's Conv1D layers, which wizard does not run");
  }
  try {
    o.check();
  } catch (const Error& e) {
    spec.fail("", e.what());
  }
  return o;
}

std::optional<model::FourBitOptions> read_quantization(const Config& spec) {
  spec.check_keys(quantization_spec_options());
  for (const char* gptq : {"bits", "use_exllama"}) {
    if (spec.has(gptq)) {
      spec.fail(gptq,
                "is a GPTQ setting; wizard quantises the frozen base with bitsandbytes' "
                "4-bit codes only (load_in_4bit)");
    }
  }
  if (spec.get<bool>("load_in_8bit", false)) {
    spec.fail("load_in_8bit",
              "= true (LLM.int8()) is not supported: its outlier-column int8 products save "
              "less memory than 4 bits and need a mixed-precision matmul wizard does not have; "
              "use load_in_4bit = true (QLoRA)");
  }
  model::FourBitOptions o;
  const std::string type = spec.get<std::string>("bnb_4bit_quant_type", "nf4");
  if (type == "nf4") {
    o.type = model::FourBitType::nf4;
  } else if (type == "fp4") {
    o.type = model::FourBitType::fp4;
  } else {
    spec.fail("bnb_4bit_quant_type", "must be \"nf4\" or \"fp4\", got \"" + type + "\"");
  }
  o.double_quant = spec.get<bool>("bnb_4bit_use_double_quant", false);
  const std::string compute = spec.get<std::string>("bnb_4bit_compute_dtype", "bfloat16");
  if (compute == "bfloat16") {
    o.compute_dtype = at::kBFloat16;
  } else if (compute == "float16") {
    o.compute_dtype = at::kHalf;
  } else if (compute == "float32") {
    o.compute_dtype = at::kFloat;
  } else {
    spec.fail("bnb_4bit_compute_dtype",
              "must be \"bfloat16\", \"float16\" or \"float32\", got \"" + compute + "\"");
  }
  if (!spec.get<bool>("load_in_4bit", true)) {
    logger()->warn("{}.load_in_4bit = false: the base weights stay unquantised", spec.path());
    return std::nullopt;
  }
  return o;
}

}  // namespace

AdapterSettings read_adapter_settings(const Config& transformer_spec) {
  AdapterSettings out;
  if (transformer_spec.has("quantization_spec") && transformer_spec.has("bnb_spec")) {
    transformer_spec.fail("bnb_spec", "and quantization_spec are one setting; keep one");
  }
  if (transformer_spec.has("lora_spec")) {
    out.lora = read_lora(transformer_spec.table("lora_spec"));
  }
  for (const char* key : {"quantization_spec", "bnb_spec"}) {
    if (!transformer_spec.has(key)) continue;
    out.four_bit = read_quantization(transformer_spec.table(key));
    if (out.four_bit && !out.lora) {
      transformer_spec.fail(key,
                            "keeps the frozen base weights in 4 bits, which train only through "
                            "LoRA adapters: add a [transformer_spec.lora_spec] table");
    }
  }
  return out;
}

void apply_adapters(model::CausalLM& model, const AdapterSettings& settings, std::uint64_t seed) {
  if (!settings.lora) return;
  if (settings.four_bit) {
    const std::int64_t bytes = model::quantize_base_weights(model, *settings.four_bit);
    logger()->info("base weights in 4 bits ({}): the model holds {:.1f} MiB",
                   settings.four_bit->type == model::FourBitType::nf4 ? "nf4" : "fp4",
                   static_cast<double>(bytes) / (1 << 20));
  }
  try {
    model::add_lora(model, *settings.lora, seed);
  } catch (const ConfigError&) {
    throw;
  } catch (const Error& e) {  // a target the model does not have, a tied modules_to_save
    throw ConfigError("transformer_spec.lora_spec: " + std::string(e.what()));
  }
  std::int64_t trainable = 0;
  for (const auto& [name, tensor] : model::lora_parameters(model, *settings.lora)) {
    trainable += tensor.numel();
  }
  logger()->info("LoRA: r {}, alpha {}, {} adapted layers, {} trainable parameters",
                 settings.lora->r, settings.lora->lora_alpha,
                 model::lora_target_paths(model.config(), *settings.lora).size(), trainable);
}

model::NamedParameters trainable_parameters(const model::CausalLM& model,
                                            const AdapterSettings& settings) {
  return settings.lora ? model::lora_parameters(model, *settings.lora) : model.named_parameters();
}

void save_adapter_folder(const model::CausalLM& model, const AdapterSettings& settings,
                         const fs::path& folder, const fs::path& model_dir,
                         const std::string& base_name) {
  model::save_lora_adapter(model, *settings.lora, folder, base_name);
  model::copy_tokenizer_files(model_dir, folder);
}

}  // namespace wizard::cpo
