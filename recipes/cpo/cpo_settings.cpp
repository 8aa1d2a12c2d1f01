#include "cpo_settings.hpp"

#include <ATen/Context.h>

#include <algorithm>
#include <cstdint>
#include <set>

#include "arabic_qwen_schema.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"
#include "wizard/model/device.hpp"
#include "wizard/plugin/loss.hpp"
#include "wizard/plugin/sampler.hpp"
#include "wizard/preference/loss_options.hpp"

namespace wizard::cpo {

namespace {

// TRL's CPOConfig on top of HF's TrainingArguments, with the training-wizard
// defaults its CPOTrainingSpec adds (WizardTrainingArgsDefaultsMixin).
train::TrainingArguments cpo_defaults() {
  train::TrainingArguments defaults;
  defaults.learning_rate = 1e-6;                    // CPOConfig
  defaults.logging_steps = 10;                      // CPOConfig
  defaults.bf16 = std::nullopt;                     // CPOConfig: bf16 unless fp16
  defaults.eval_strategy = train::Interval::epoch;  // training-wizard
  defaults.save_strategy = train::Interval::epoch;  // training-wizard
  return defaults;
}

// The CPOConfig fields wizard reads itself, and the ones it accepts for
// compatibility (encoder-decoder and generation settings that do not apply).
OptionDocs cpo_only_options() {
  return {
      {"loss_type", "string", "sigmoid",
       "the loss plugin: sigmoid, hinge, ipo, simpo, alphapo, or library.Class"},
      {"padding_value", "int", "", "the id padded positions hold (default: the pad token)"},
      {"label_pad_token_id", "int", "-100", "TRL's label padding id (labels are not padded here)"},
      {"dataset_num_proc", "int", "", "threads for tokenizing the dataset (default: all cores)"},
      {"padding_free", "bool", "true",
       "pack the pairs of a micro-batch into one row without padding, micro-batches filled up to "
       "a token budget (the packed sampler); false = TRL's padded batch and random order"},
      {"prefix_sharing", "bool", "true",
       "packed rows compute the tokens chosen and rejected share (the prompt) once"},
      {"logits_chunk_size", "int", "1024",
       "positions per LM-head chunk: memory holds chunk x vocabulary floats at a time"},
      {"eval_exact_match", "bool", "false",
       "also decode each held-out prompt greedily; eval_exact_match = share equal to chosen"},
      {"num_negatives", "int", "1",
       "K: negatives scored per example each step, chosen from its rejected answer, negatives, "
       "hard_negatives (and in-batch answers)"},
      {"negative_sampling_strategy", "string", "random",
       "the negative sampler plugin: random, hard, mixed, or library.Class"},
      {"in_batch_negatives", "bool", "false",
       "the other prompts' chosen answers in the micro-batch join each example's negatives"},
      {"reference_free", "bool", "true",
       "false: every score becomes s - s_ref under a frozen reference model (sigmoid: DPO)"},
      {"reference_model_name", "string", "",
       "the reference model (folder or hub name); default: the starting policy"},
      {"precompute_ref_log_probs", "bool", "false",
       "score every answer with the reference once before training, cached beside the run"},
      {"force_use_ref_model", "bool", "false",
       "TRL: a separate reference model even with adapters; wizard always keeps one"},
      {"wandb_project", "string", "$WANDB_PROJECT",
       "the W&B project of report_to = \"wandb\" (the printed `wandb sync` command names it)"},
      {"max_completion_length", "int", "", "encoder-decoder only in TRL; not used"},
      {"max_target_length", "int", "", "encoder-decoder only in TRL; not used"},
      {"generate_during_eval", "bool", "false",
       "at each evaluation, answer eval_sample_size validation prompts into samples.jsonl (and "
       "report.html), with the [generation] table's settings"},
      {"eval_sample_size", "int", "per_device_eval_batch_size",
       "how many validation prompts generate_during_eval answers (the same ones each time)"},
      {"is_encoder_decoder", "bool", "", "wizard trains decoder-only models"},
      {"model_init_kwargs", "table", "", "TRL's kwargs for loading a model by name (not used)"},
  };
}

void append(OptionDocs& to, const OptionDocs& from) {
  std::set<std::string> have;
  for (const auto& option : to) have.insert(option.name);
  for (const auto& option : from) {
    if (have.insert(option.name).second) to.push_back(option);
  }
}

// A plugin's own table holding just the keys it documents, copied from
// `source` (keeping their file positions).
Config plugin_table(const Config& source, const OptionDocs& options) {
  ConfigValue table = ConfigValue::table({}, source.location());
  for (const auto& option : options) {
    if (const ConfigValue* value = source.find(option.name)) table.set(option.name, *value);
  }
  return Config(std::move(table));
}

// transformer_spec.device, or training-wizard's device_map (one of them): "auto" by default.
// HF's use_cpu = true means the CPU; with another device named, the two disagree.
c10::Device device_from(const Config& spec, const Config& args, bool use_cpu) {
  const char* key = spec.has("device_map") ? "device_map" : "device";
  if (spec.has("device") && spec.has("device_map")) {
    spec.fail("device_map", "and device both choose the device; keep one");
  }
  if (spec.has(key) && !spec.find(key)->is(ConfigValue::Kind::String)) {
    spec.fail(key,
              "must be a device name: \"auto\", \"cpu\", \"cuda\" or \"cuda:N\" (wizard "
              "places the whole model on one device per process)");
  }
  const std::string name = spec.get<std::string>(key, "auto");
  if (use_cpu) {
    if (name != "auto" && name != "cpu") {
      args.fail("use_cpu", "= true, but transformer_spec." + std::string(key) + " = '" + name +
                               "'; keep one of them");
    }
    return c10::Device(c10::kCPU);
  }
  try {
    return model::resolve_device(name);
  } catch (const ConfigError& error) {
    spec.fail(key, error.what());
  }
}

TransformerSettings read_transformer(const Config& spec) {
  spec.check_keys({
      {"pretrained_name", "string", "",
       "a model folder, or a hub name found in the local HF cache"},
      {"revision", "string", "main", "hub revision (branch, tag or commit)"},
      {"device", "string", "auto",
       "the device to train on: auto (a GPU when there is one), cpu, cuda or cuda:N"},
      {"device_map", "string", "", "training-wizard's name for device"},
      {"apply_chat_template_kwargs", "table", "",
       "extra chat-template variables (enable_thinking, ...)"},
      {"from_pretrained_kwargs", "table", "", "transformers' loading kwargs (torch_dtype is read)"},
      {"tokenizer_call_kwargs", "table", "",
       "tokenizer call kwargs (CPO tokenizes as TRL does; unused)"},
      {"tokenizer_init_kwargs", "table", "", "tokenizer loading kwargs (unused)"},
      {"disable_tokenizer_parallelism", "bool", "false", "unused: wizard tokenizes with threads"},
      {"tokenizer_special_tokens", "table", "", "extra special tokens (not supported yet)"},
      {"lora_spec", "table", "",
       "LoRA adapters (PEFT's LoraConfig): only they train; saved as PEFT adapters"},
      {"quantization_spec", "table", "",
       "the frozen base in 4 bits under LoRA (transformers' BitsAndBytesConfig: load_in_4bit)"},
      {"bnb_spec", "table", "", "another name of quantization_spec"},
  });
  TransformerSettings out;
  out.pretrained_name = spec.require<std::string>("pretrained_name");
  out.revision = spec.get<std::string>("revision", "");
  if (spec.has("tokenizer_special_tokens")) {
    spec.fail("tokenizer_special_tokens",
              "is not supported by wizard yet: the model's vocabulary stays as it is; remove "
              "this key");
  }
  out.adapters = read_adapter_settings(spec);
  const Config kwargs = spec.table("apply_chat_template_kwargs");
  for (const auto& key : kwargs.keys()) {
    const ConfigValue& value = *kwargs.find(key);
    switch (value.kind()) {
      case ConfigValue::Kind::Bool:
        out.chat_template_kwargs[key] = value.as_bool();
        break;
      case ConfigValue::Kind::Integer:
        out.chat_template_kwargs[key] = value.as_integer();
        break;
      case ConfigValue::Kind::Float:
        out.chat_template_kwargs[key] = value.as_float();
        break;
      case ConfigValue::Kind::String:
        out.chat_template_kwargs[key] = value.as_string();
        break;
      default:
        kwargs.fail(key, "must be a bool, number or string");
    }
  }
  for (const char* unused : {"tokenizer_call_kwargs", "tokenizer_init_kwargs"}) {
    if (!spec.table(unused).keys().empty()) {
      logger()->info(
          "transformer_spec.{} is not used by the cpo recipe (TRL's CPOTrainer "
          "tokenizes with its own settings: max_length, max_prompt_length)",
          unused);
    }
  }
  return out;
}

// The loss: a [loss] table with spec_class, or training_args_spec.loss_type.
PluginChoice choose_loss(const Config& recipe, const Config& args, PluginHost& host) {
  if (recipe.has("loss")) {
    const Config table = recipe.table("loss");
    const std::string name = table.require<std::string>("spec_class");
    if (args.has("loss_type")) {
      recipe.fail("loss", "and training_args_spec.loss_type both choose the loss; keep one");
    }
    return {name, table, table.location("spec_class")};
  }
  const std::string name = args.get<std::string>("loss_type", "sigmoid");
  const SourceLocation named_at = args.location("loss_type");
  // The loss reads its options from training_args_spec, as TRL's CPOConfig has them.
  return {name, plugin_table(args, host.options(PluginKind::Loss, name, named_at)), named_at};
}

// A config schema's defaults of the loss options (the arabic-qwen schema's softmax,
// temperature and margin) reach the loss as defaults, not as keys the user set: a loss
// refuses a written temperature it does not use, but ignores a default one.
void apply_loss_defaults(PluginChoice& loss, const ConfigValue& defaults, PluginHost& host) {
  if (!defaults.is(ConfigValue::Kind::Table) || defaults.as_table().empty()) return;
  const OptionDocs documented = host.options(PluginKind::Loss, loss.name, loss.named_at);
  std::vector<std::string> unused;
  for (const auto& [key, value] : defaults.as_table()) {
    const bool read = std::any_of(documented.begin(), documented.end(),
                                  [&](const OptionDoc& option) { return option.name == key; });
    if (!read) unused.push_back(key);
  }
  loss.table = loss.table.with_defaults(defaults);
  if (!unused.empty()) {
    logger()->info("the loss '{}' has no option {}: the config schema's default{} unused",
                   loss.name, join(unused, ", "), unused.size() == 1 ? " is" : "s are");
  }
}

PluginChoice choose_sampler(const Config& recipe, const Config& args, bool padding_free) {
  if (recipe.has("sampler")) {
    const Config table = recipe.table("sampler");
    return {table.require<std::string>("spec_class"), table, table.location("spec_class")};
  }
  ConfigValue empty = ConfigValue::table({}, recipe.location());
  // Packed rows cost what their tokens cost: fill micro-batches up to a token budget.
  if (padding_free) {
    return {"packed", Config(std::move(empty)), args.location("padding_free")};
  }
  // HF's group_by_length picks the length-grouped sampler; else HF's random order.
  const bool grouped = args.get<bool>("group_by_length", false);
  return {grouped ? "length_grouped" : "random", Config(std::move(empty)),
          args.location("group_by_length")};
}

// The built-in negative samplers, whose options a config may only set for the one it chose.
constexpr const char* kBuiltInNegativeSamplers[] = {"random", "hard", "mixed"};

// num_negatives, in_batch_negatives and the negative sampler with its options (read from
// training_args_spec like the loss's).
std::string negative_sampler_name(const Config& args) {
  return args.get<std::string>("negative_sampling_strategy", "random");
}

NegativeSettingsChoice read_negatives(const Config& args, PluginHost& host) {
  NegativeSettingsChoice out;
  out.num_negatives = args.get<std::int64_t>("num_negatives", 1);
  if (out.num_negatives < 1 || out.num_negatives > 1024) {
    args.fail("num_negatives", "must be between 1 and 1024 (negatives scored per example)");
  }
  out.in_batch = args.get<bool>("in_batch_negatives", false);
  const std::string name = negative_sampler_name(args);
  const SourceLocation named_at = args.location("negative_sampling_strategy");
  const OptionDocs own = host.options(PluginKind::NegativeSampler, name, named_at);
  for (const char* other : kBuiltInNegativeSamplers) {
    if (other == name) continue;
    for (const auto& option : host.options(PluginKind::NegativeSampler, other, named_at)) {
      const bool documented = std::any_of(
          own.begin(), own.end(), [&](const OptionDoc& o) { return o.name == option.name; });
      if (!documented && args.has(option.name)) {
        args.fail(option.name, "is an option of negative_sampling_strategy = \"" +
                                   std::string(other) + "\", not of \"" + name +
                                   "\"; remove it or choose that strategy");
      }
    }
  }
  out.sampler = {name, plugin_table(args, own), named_at};
  return out;
}

ReferenceChoice read_reference(const Config& args) {
  ReferenceChoice out;
  out.enabled = !args.get<bool>("reference_free", true);
  out.model_name = args.get<std::string>("reference_model_name", "");
  out.precompute = args.get<bool>("precompute_ref_log_probs", false);
  const bool force = args.get<bool>("force_use_ref_model", false);
  if (!out.enabled) {
    for (const char* key :
         {"reference_model_name", "precompute_ref_log_probs", "force_use_ref_model"}) {
      if (args.has(key)) {
        args.fail(key,
                  "needs reference_free = false (CPO is reference-free by default); set it "
                  "or remove this key");
      }
    }
  } else if (force) {
    logger()->info(
        "force_use_ref_model = true: wizard always scores the reference with its own frozen "
        "copy of the model");
  }
  return out;
}

}  // namespace

OptionDocs training_args_options(const Config& recipe, PluginHost& host) {
  OptionDocs options = train::TrainingArguments::docs(cpo_defaults());
  append(options, PreferenceTokenization::options());
  append(options, cpo_only_options());
  // CPOConfig's loss fields, which TRL accepts whatever the loss (simpo_gamma with sigmoid).
  append(options, preference::trl_loss_fields());
  const Config args = recipe.table("training_args_spec");
  if (!recipe.has("loss")) {
    const std::string name = args.get<std::string>("loss_type", "sigmoid");
    append(options, host.options(PluginKind::Loss, name, args.location("loss_type")));
  }
  append(options, host.options(PluginKind::NegativeSampler, negative_sampler_name(args),
                               args.location("negative_sampling_strategy")));
  append(options, ContrastiveSettings::options());
  append(options, MiningSettings::options(args, host));
  append(options, AugmentationSettings::options());
  options.push_back({"group_by_length", "bool", "false", "batch examples of similar length"});
  return options;
}

OptionDocs cpo_recipe_options() {
  OptionDocs options{
      {"transformer_spec", "table", "",
       "the model: pretrained_name (folder or hub name) and options"},
      {"dataset_spec", "table", "", "the training data: a datasource (spec_class and its options)"},
      {"validation", "int|float|table", "",
       "held-out rows: a count, a fraction of dataset_spec, or a datasource"},
      {"training_args_spec", "table", "",
       "HF TrainingArguments + TRL CPOConfig fields (see docs/training.md, docs/losses.md)"},
      {"sampler", "table", "packed",
       "batches: spec_class packed (default with padding_free), random (default without), "
       "sequential or length_grouped"},
      {"loss", "table", "",
       "a loss plugin with its own options (instead of training_args_spec.loss_type)"},
      {"callbacks_spec", "table", "", "training-wizard callbacks: evaluate_first_step"},
      {"mlflow_experiment_name", "string", "",
       "the MLflow experiment of training_args_spec.report_to = \"mlflow\" (default "
       "$MLFLOW_EXPERIMENT_NAME, else Default)"},
      {"generation", "table", "",
       "generation settings of generate_during_eval (docs/generation.md; over the model's "
       "generation_config.json)"},
  };
  append(options, arabic_qwen_sections());
  return options;
}

CpoSettings CpoSettings::read(const Config& recipe, PluginHost& host,
                              const ConfigValue& loss_defaults) {
  if (!recipe.has("transformer_spec"))
    recipe.fail("", "missing [transformer_spec] (the model to train)");
  if (!recipe.has("dataset_spec")) recipe.fail("", "missing [dataset_spec] (the preference data)");
  if (!recipe.has("training_args_spec")) {
    recipe.fail("", "missing [training_args_spec] (at least output_dir)");
  }
  CpoSettings out;
  out.transformer = read_transformer(recipe.table("transformer_spec"));

  const Config args = recipe.table("training_args_spec");
  // Options of another negative sampler are named as such, before the general key check.
  out.negatives = read_negatives(args, host);
  args.check_keys(training_args_options(recipe, host));
  out.loss = choose_loss(recipe, args, host);
  apply_loss_defaults(out.loss, loss_defaults, host);

  out.args = train::TrainingArguments::from_config(args, cpo_defaults());
  out.args.wandb_project = args.get<std::string>("wandb_project", "");
  out.transformer.device = device_from(recipe.table("transformer_spec"), args, out.args.use_cpu);
  out.eval_strategy_given = args.has("eval_strategy") || args.has("evaluation_strategy");
  out.tokenization = PreferenceTokenization::from_config(args);
  if (const auto threads = args.optional<std::int64_t>("dataset_num_proc")) {
    args.check_int_range("dataset_num_proc", *threads, 1, train::TrainingArguments::max_threads());
    out.tokenization.threads = static_cast<int>(*threads);
  }

  const bool padding_free = args.get<bool>("padding_free", true);
  out.scoring.layout =
      padding_free ? preference::PairLayout::packed : preference::PairLayout::padded;
  out.scoring.share_prefix = args.get<bool>("prefix_sharing", true);
  out.scoring.logits_chunk_size = args.get_int("logits_chunk_size", 1024, 1, 1 << 24);
  out.padding_value = args.optional<std::int64_t>("padding_value");
  if (out.padding_value) {
    // Token ids are int32 (a vocabulary is far smaller); the model checks it against its own.
    args.check_int_range("padding_value", *out.padding_value, 0, INT32_MAX);
  }
  out.eval_exact_match = args.get<bool>("eval_exact_match", false);
  out.generate_during_eval = args.get<bool>("generate_during_eval", false);
  out.eval_sample_size =
      args.get<std::int64_t>("eval_sample_size", out.args.per_device_eval_batch_size);
  if (out.eval_sample_size < 1) args.fail("eval_sample_size", "must be at least 1");
  out.generation = recipe.table("generation");
  if (recipe.has("generation") && !out.generate_during_eval) {
    recipe.fail(
        "generation",
        "sets how generate_during_eval answers, but training_args_spec.generate_during_eval "
        "is false; set it to true or remove the table");
  }
  if (args.get<bool>("is_encoder_decoder", false)) {
    args.fail("is_encoder_decoder", "wizard trains decoder-only (causal) models");
  }

  out.sampler = choose_sampler(recipe, args, padding_free);
  out.reference = read_reference(args);
  out.contrastive = ContrastiveSettings::read(args);
  out.mining = MiningSettings::read(args, host);
  out.augmentation = AugmentationSettings::read(args);
  if (out.reference.precompute && out.negatives.in_batch) {
    args.fail("precompute_ref_log_probs",
              "= true cannot be used with in_batch_negatives = true: in-batch negatives are made "
              "during training, so the reference must score each step; set one of them to false");
  }

  const Config callbacks = recipe.table("callbacks_spec");
  callbacks.check_keys({{"evaluate_first_step", "bool", "false", "evaluate after the first step"},
                        {"enable_early_stopping", "bool", "false", "not supported yet"},
                        {"early_stopping_patience", "int", "-1", "not supported yet"},
                        {"merge_lora", "bool", "false",
                         "with LoRA: also write the merged model to output_dir/merged"}});
  out.evaluate_first_step = callbacks.get<bool>("evaluate_first_step", false);
  out.transformer.adapters.merge_lora = callbacks.get<bool>("merge_lora", false);
  if (out.transformer.adapters.merge_lora && !out.transformer.adapters.lora) {
    callbacks.fail("merge_lora",
                   "= true merges LoRA adapters, but transformer_spec has no lora_spec; remove "
                   "the key or add the table");
  }
  if (callbacks.get<bool>("enable_early_stopping", false)) {
    callbacks.fail("enable_early_stopping", "early stopping is not supported yet");
  }
  if (auto name = recipe.optional<std::string>("mlflow_experiment_name")) {
    out.args.mlflow_experiment_name = *name;
    if (std::find(out.args.report_to.begin(), out.args.report_to.end(), "mlflow") ==
        out.args.report_to.end()) {
      logger()->warn(
          "mlflow_experiment_name = \"{}\" has no effect unless training_args_spec.report_to "
          "includes \"mlflow\"",
          *name);
    }
  }
  return out;
}

}  // namespace wizard::cpo
