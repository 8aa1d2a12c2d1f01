#include "arabic_qwen_keys.hpp"

#include <algorithm>

#include "arabic_qwen_rules.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"

namespace wizard::cpo::arabic_qwen {

namespace {

using Kind = ConfigValue::Kind;
const std::string kArgs = "training_args_spec.";

// Row builders: the key, its type and the document's default.
SchemaKey key(std::string path, Kind kind, ConfigValue fallback, Action action) {
  SchemaKey out;
  out.path = std::move(path);
  out.kind = kind;
  out.fallback = std::move(fallback);
  out.action = action;
  return out;
}
ConfigValue b(bool v) {
  return ConfigValue::boolean(v);
}
ConfigValue i(std::int64_t v) {
  return ConfigValue::integer(v);
}
ConfigValue f(double v) {
  return ConfigValue::floating(v);
}
ConfigValue s(const char* v) {
  return ConfigValue::string(v);
}
ConfigValue none() {
  return ConfigValue::null();
}

// Set: to `targets` (training_args_spec keys unless dotted otherwise).
SchemaKey set(std::string path, Kind kind, ConfigValue fallback, std::vector<std::string> targets,
              std::string what = "") {
  SchemaKey out = key(std::move(path), kind, std::move(fallback), Action::Set);
  for (auto& target : targets) {
    out.targets.push_back(target.find('.') == std::string::npos ? kArgs + target : target);
  }
  out.why = std::move(what);
  return out;
}
// Set, passed on only when it differs from the recipe's default; `feature`: issue 10's
// recipe feature it needs, `instead`: what to do while a build lacks it.
SchemaKey recipe_key(std::string path, Kind kind, ConfigValue fallback, ConfigValue recipe,
                     std::string feature, std::string instead) {
  const std::string name = path.substr(path.find('.') + 1);
  SchemaKey out = set(std::move(path), kind, std::move(fallback), {name});
  out.recipe_default = std::move(recipe);
  out.feature = std::move(feature);
  out.instead = std::move(instead);
  return out;
}
SchemaKey column(std::string path, const char* fallback) {
  return recipe_key(std::move(path), Kind::String, s(fallback), s(fallback), "", "");
}
SchemaKey alias(std::string path, Kind kind, ConfigValue fallback, std::string target) {
  SchemaKey out = key(std::move(path), kind, std::move(fallback), Action::Alias);
  out.targets = {kArgs + target};
  return out;
}
SchemaKey loss_option(std::string path, ConfigValue fallback, ConfigValue recipe) {
  const std::string name = path.substr(path.find('.') + 1);
  SchemaKey out = key(std::move(path), Kind::Float, std::move(fallback), Action::LossOption);
  out.targets = {kArgs + name};
  out.recipe_default = std::move(recipe);
  return out;
}
SchemaKey only_default(std::string path, Kind kind, ConfigValue fallback, std::string why) {
  SchemaKey out = key(std::move(path), kind, std::move(fallback), Action::OnlyDefault);
  out.why = std::move(why);
  return out;
}
SchemaKey inert(std::string path, Kind kind, ConfigValue fallback, std::string why) {
  SchemaKey out = key(std::move(path), kind, std::move(fallback), Action::Inert);
  out.why = std::move(why);
  return out;
}
SchemaKey by_rule(std::string path, Kind kind, ConfigValue fallback, Rule rule) {
  SchemaKey out = key(std::move(path), kind, std::move(fallback), Action::ByRule);
  out.rule = rule;
  return out;
}

const char* kNegatives = "several negatives per prompt";
const char* kSampling = "negative sampling strategies";
const char* kReference = "a frozen reference model";

std::vector<SchemaKey> build_table() {
  const Kind B = Kind::Bool, I = Kind::Integer, F = Kind::Float, S = Kind::String, T = Kind::Table;
  std::vector<SchemaKey> keys{
      // model, training, paths, optimization, logging: ModelConfig, TrainingConfig,
      // PathConfig, OptimizationConfig and LoggingConfig of sft_config.md (the CPO document
      // defines no classes of its own for them).
      set("model.name", S, s("Qwen/Qwen-7B"), {"transformer_spec.pretrained_name"}),
      set("model.max_length", I, i(2048), {"max_length"}, "the longest prompt + answer in tokens"),
      set("training.learning_rate", F, f(5e-5), {"learning_rate"}),
      set("training.batch_size", I, i(4),
          {"per_device_train_batch_size", "per_device_eval_batch_size"}),
      set("training.num_epochs", F, f(3), {"num_train_epochs"}),
      set("training.gradient_accumulation_steps", I, i(1), {"gradient_accumulation_steps"}),
      set("training.warmup_steps", I, i(100), {"warmup_steps"}),
      set("paths.output_dir", S, s("output"), {"output_dir"}),
      set("optimization.bf16", B, b(false), {"bf16"}),
      set("optimization.use_gradient_checkpointing", B, b(false), {"gradient_checkpointing"}),
      by_rule("optimization.use_lora", B, b(false), rules::lora),
      by_rule("optimization.lora_rank", I, i(16), rules::lora),
      by_rule("optimization.use_quantization", B, b(false), rules::lora),
      by_rule("logging.use_wandb", B, b(false), rules::wandb),
      by_rule("logging.wandb_project", S, s("arabic-qwen-sft"), rules::wandb),

      // data: CPODataConfig of cpo_config.md.
      by_rule("data.train_file", S, s("data/cpo_train.jsonl"), rules::data_files),
      by_rule("data.validation_file", S, s("data/cpo_validation.jsonl"), rules::data_files),
      only_default("data.test_file", S, none(),
                   "the cpo recipe evaluates validation data while it trains and has no test "
                   "pass after training; remove the key"),
      by_rule("data.max_samples", I, none(), rules::row_limits),
      by_rule("data.validation_split_percentage", F, f(0.1), rules::data_files),
      set("data.preprocessing_num_workers", I, i(4), {"dataset_num_proc"},
          "threads that tokenize the data"),
      column("data.prompt_column", "prompt"),
      column("data.chosen_column", "chosen"),
      column("data.rejected_column", "rejected"),
      column("data.system_column", "system"),
      column("data.multiple_negatives_column", "negatives"),
      column("data.hard_negatives_column", "hard_negatives"),
      only_default("data.conversation_template", S, s("default"),
                   "wizard renders conversations with the model's own chat template "
                   "(conversation_template: default); to lay messages out yourself, use the "
                   "training-wizard schema's template_preference datasource (docs/data.md)"),
      only_default("data.add_special_tokens", B, b(true),
                   "wizard tokenizes as TRL's CPOTrainer, which adds the tokenizer's BOS and EOS "
                   "tokens; remove the key or set it to true"),
      only_default("data.truncation", B, b(true),
                   "wizard always truncates as TRL's CPOTrainer does (to cpo.max_length, the "
                   "prompt to cpo.max_prompt_length); remove the key or set it to true"),
      by_rule("data.padding", S, s("max_length"), rules::padding),
      by_rule("data.sanity_check", B, b(false), rules::row_limits),
      by_rule("data.sanity_check_size", I, i(100), rules::row_limits),
      inert("data.ignore_bias_buffers", B, b(false),
            "it works around PyTorch DDP's broadcast of boolean buffers, and wizard's models "
            "have none"),
      set("data.disable_dropout", B, b(true), {"disable_dropout"}),
      set("data.generate_during_eval", B, b(false), {"generate_during_eval"},
          "answers to validation prompts at each evaluation, in samples.jsonl"),
      by_rule("data.augment_data", B, b(false), rules::augmentation),
      by_rule("data.augmentation_strategy", S, s("paraphrase"), rules::augmentation),
      by_rule("data.augmentation_ratio", F, f(0.1), rules::augmentation),
      by_rule("data.create_hard_negatives", B, b(false), rules::mining),
      by_rule("data.hard_negative_strategy", S, s("semantic_search"), rules::mining),

      // cpo: CPOSpecificConfig of cpo_config.md.
      set("cpo.beta", F, f(0.1), {"beta"}, "beta (the preference strength)"),
      loss_option("cpo.temperature", f(0.1), none()),
      set("cpo.alpha", F, f(1.0), {"cpo_alpha"}, "the weight of the NLL term"),
      by_rule("cpo.loss_type", S, s("cpo"), rules::loss_type),
      recipe_key("cpo.reference_free", B, b(false), b(true), kReference,
                 "set reference_free: true (no reference model, as TRL's CPO)"),
      set("cpo.reference_model_name", S, none(), {"reference_model_name"}),
      recipe_key("cpo.num_negatives", I, i(1), i(1), kNegatives, "set num_negatives: 1"),
      recipe_key("cpo.negative_sampling_strategy", S, s("random"), s("random"), kSampling,
                 "remove the key"),
      by_rule("cpo.hard_negative_ratio", F, f(0.0), rules::hard_negative_ratio),
      loss_option("cpo.margin", f(0.1), f(0)),
      alias("cpo.cpo_alpha", F, f(1.0), "cpo_alpha"),
      alias("cpo.cpo_beta", F, f(0.1), "beta"),
      by_rule("cpo.cpo_gamma", F, f(1.0), rules::cpo_gamma),
      by_rule("cpo.simcse_dropout", F, f(0.1), rules::contrastive),
      by_rule("cpo.contrastive_temperature", F, f(0.05), rules::contrastive),
      by_rule("cpo.contrastive_weight", F, f(1.0), rules::contrastive),
      set("cpo.preference_weight", F, f(1.0), {"preference_weight"}),
      alias("cpo.max_length", I, i(2048), "max_length"),
      set("cpo.max_prompt_length", I, i(1024), {"max_prompt_length"}),
      by_rule("cpo.max_target_length", I, i(1024), rules::max_target_length),
      set("cpo.truncation_mode", S, s("keep_end"), {"truncation_mode"}),
      recipe_key("cpo.precompute_ref_log_probs", B, b(false), b(false), kReference,
                 "remove the key"),
      only_default("cpo.model_init_kwargs", T, none(),
                   "transformers' from_pretrained arguments; wizard loads models itself (the "
                   "precision from optimization.bf16, the device automatically); remove the key"),
      only_default("cpo.ref_model_init_kwargs", T, none(),
                   "transformers' from_pretrained arguments; wizard loads models itself (the "
                   "precision from optimization.bf16, the device automatically); remove the key"),
      recipe_key("cpo.force_use_ref_model", B, b(false), b(false), kReference, "remove the key"),
      by_rule("cpo.use_momentum", B, b(false), rules::contrastive),
      by_rule("cpo.momentum_beta", F, f(0.999), rules::contrastive),
      by_rule("cpo.queue_size", I, i(65536), rules::contrastive),
      by_rule("cpo.use_queue", B, b(false), rules::contrastive),
      by_rule("cpo.normalize_embeddings", B, b(true), rules::contrastive),
      by_rule("cpo.projection_dim", I, none(), rules::contrastive),
  };
  // preference_weight 1 is what a loss without the option does.
  for (auto& row : keys) {
    if (row.path == "cpo.preference_weight") row.recipe_default = f(1.0);
    if (row.path == "cpo.reference_model_name") {
      row.recipe_default = none();  // the starting policy
      row.feature = kReference;
      row.instead = "remove the key";
    }
    if (row.path == "cpo.hard_negative_ratio") {  // by its rule: only mixed sampling reads it
      row.feature = kSampling;
      row.instead = "remove the key";
    }
    if (row.path == "data.preprocessing_num_workers") row.at_least = 1;
  }
  return keys;
}

// An empty table asks for nothing, as null does (model_init_kwargs: {}).
bool is_empty_table(const ConfigValue& value) {
  return value.is(Kind::Table) && value.as_table().empty();
}

}  // namespace

const std::vector<SchemaKey>& schema_keys() {
  static const std::vector<SchemaKey> keys = build_table();
  return keys;
}

const SchemaKey& schema_key(const std::string& path) {
  for (const auto& row : schema_keys()) {
    if (row.path == path) return row;
  }
  throw Error("arabic-qwen schema: no key " + path);
}

const SchemaKey* key_of(const SourceKey& from) {
  for (const auto& row : schema_keys()) {
    if (row.path == from.path) return &row;
  }
  return nullptr;
}

const std::vector<std::string>& section_names() {
  static const std::vector<std::string> names{"model",        "training", "data", "cpo",
                                              "optimization", "logging",  "paths"};
  return names;
}

bool same_value(const ConfigValue& a, const ConfigValue& b) {
  if (is_empty_table(a) || is_empty_table(b)) {
    return (is_empty_table(a) || a.is(Kind::Null)) && (is_empty_table(b) || b.is(Kind::Null));
  }
  if (a.is(Kind::Null) || b.is(Kind::Null)) return a.kind() == b.kind();
  if (a.is(Kind::Bool) && b.is(Kind::Bool)) return a.as_bool() == b.as_bool();
  if (a.is(Kind::String) && b.is(Kind::String)) return a.as_string() == b.as_string();
  const bool numbers =
      (a.is(Kind::Integer) || a.is(Kind::Float)) && (b.is(Kind::Integer) || b.is(Kind::Float));
  return numbers && a.as_float() == b.as_float();
}

KeyReader::KeyReader(const Config& root, SchemaTranslation& translation) : out(translation) {
  for (const auto& name : section_names()) {
    const ConfigValue* value = root.find(name);
    if (value && !value->is(Kind::Table)) {
      out.problem(root.location(name).str() + ": " + name +
                  " must be a section (a table of keys), but it is a " + value->kind_name());
      sections_.emplace_back(name, SchemaSection(Config(), out));  // reported: all defaults
    } else {
      sections_.emplace_back(name, SchemaSection(root.table(name), out));
    }
  }
}

SchemaSection& KeyReader::section(const std::string& name) {
  for (auto& [section_name, section] : sections_) {
    if (section_name == name) return section;
  }
  throw Error("arabic-qwen schema: no section " + name);
}

bool KeyReader::written(const std::string& path) const {
  const SchemaKey& row = schema_key(path);
  for (const auto& [name, section] : sections_) {
    if (name == row.section()) return section.written(row.name());
  }
  return false;
}

SourceValue KeyReader::read(const std::string& path) {
  const SchemaKey& row = schema_key(path);
  SchemaSection& from = section(row.section());
  const std::string name = row.name();
  if (row.kind == Kind::Table) return from.optional_table(name);
  if (row.fallback.is(Kind::Null)) {
    if (row.kind == Kind::Integer) return from.optional_integer(name);
    return from.optional_text(name, std::nullopt);
  }
  switch (row.kind) {
    case Kind::Bool:
      return from.boolean(name, row.fallback.as_bool());
    case Kind::Integer:
      return from.integer(name, row.fallback.as_integer());
    case Kind::Float:
      return from.number(name, row.fallback.as_float());
    default:
      return from.text(name, row.fallback.as_string());
  }
}

namespace {

// A Set key and its aliases: the one written, else the Set key's default; written ones
// that disagree are a problem naming both. Unwritten aliases are not read, so the resolved
// config records one default, not two that could disagree when it runs again.
SourceValue read_with_aliases(const SchemaKey& row, KeyReader& keys) {
  std::vector<const SchemaKey*> names{&row};
  for (const auto& other : schema_keys()) {
    if (other.action == Action::Alias && other.targets == row.targets) names.push_back(&other);
  }
  std::vector<SourceValue> written;
  for (const SchemaKey* name : names) {
    if (keys.written(name->path)) written.push_back(keys.read(name->path));
  }
  if (written.empty()) return keys.read(row.path);
  for (std::size_t k = 1; k < written.size(); ++k) {
    const SourceValue& first = written[0];
    const SourceValue& other = written[k];
    if (same_value(first.value, other.value)) continue;
    keys.out.problem(first.from.where.str() + ": " + first.from.path + " = " +
                     written_value(first.value) + " and " + other.from.where.str() + ": " +
                     other.from.path + " = " + written_value(other.value) + " both set " + row.why +
                     " and disagree; keep one of them");
  }
  return written[0];
}

void apply_set(const SchemaKey& row, KeyReader& keys) {
  const SourceValue value = read_with_aliases(row, keys);
  if (row.recipe_default && same_value(value.value, *row.recipe_default)) return;
  if (row.at_least > 0 && value.value.is(Kind::Integer) &&
      value.value.as_integer() < row.at_least) {
    keys.out.problem(value,
                     "must be at least " + std::to_string(row.at_least) + " (" + row.why + ")");
    return;
  }
  for (const auto& target : row.targets) keys.out.set(target, value);
}

// Features of other issues. A feature with a switch is asked for when its switch is on;
// its other keys are then refused too (they are its settings), and while it is off they
// change nothing (noted). A feature without a switch is asked for when any of its keys is
// written with a value other than its default.
void check_pending(KeyReader& keys) {
  std::vector<std::string> features;
  for (const auto& row : schema_keys()) {
    if (row.action != Action::Pending) continue;
    const std::string id = row.section() + "/" + row.feature;
    if (std::find(features.begin(), features.end(), id) == features.end()) features.push_back(id);
  }
  for (const auto& id : features) {
    auto of_feature = [&](const SchemaKey& row) {
      return row.action == Action::Pending && row.section() + "/" + row.feature == id;
    };
    const SchemaKey* switch_key = nullptr;
    for (const auto& row : schema_keys()) {
      if (of_feature(row) && row.is_switch) switch_key = &row;
    }
    std::vector<std::pair<const SchemaKey*, SourceValue>> written;
    bool asked = false;
    for (const auto& row : schema_keys()) {
      if (!of_feature(row)) continue;
      const SourceValue value = keys.read(row.path);  // type-checked, default recorded
      if (!value.from.written) continue;
      written.emplace_back(&row, value);
      if (row.is_switch) {
        asked = asked || (value.value.is(Kind::Bool) && value.value.as_bool());
      } else if (!switch_key) {
        asked = asked || !same_value(value.value, row.fallback);
      }
    }
    if (written.empty()) continue;
    std::stable_sort(written.begin(), written.end(), [](const auto& a, const auto& b) {
      return a.second.from.where.line < b.second.from.where.line;
    });
    const SchemaKey& first = *written[0].first;
    const std::string feature = first.feature + " (" + first.issue + ")";
    std::vector<std::string> at_defaults;
    for (const auto& [row, value] : written) {
      const std::string written_as = value.from.path + " = " + written_value(value.value);
      if (asked && row->is_switch) {
        keys.out.problem(
            value, "needs " + feature + ", not in wizard yet; remove the key or set it to false");
      } else if (asked) {
        keys.out.problem(value, "a setting of " + feature + ", not in wizard yet; remove the key");
      } else if (!switch_key) {
        at_defaults.push_back(written_as);
      } else if (!row->is_switch && !same_value(value.value, row->fallback)) {
        keys.out.note(written_as + " changes nothing: " + switch_key->path + " is false");
      }
    }
    if (!at_defaults.empty()) {
      const std::string what =
          first.feature.rfind("the ", 0) == 0 ? first.feature.substr(4) : first.feature;
      keys.out.note(join(at_defaults) +
                    (at_defaults.size() == 1 ? " is the document's default"
                                             : " are the document's defaults") +
                    ": wizard adds no " + what + " (" + first.issue + ")");
    }
  }
}

}  // namespace

ConfigValue translate_keys(const Config& root, SchemaTranslation& out) {
  KeyReader keys(root, out);
  for (const auto& name : section_names()) {
    std::vector<std::string> valid;
    for (const auto& row : schema_keys()) {
      if (row.section() == name) valid.push_back(row.name());
    }
    keys.section(name).check_keys(valid);
  }

  ConfigValue loss_defaults = ConfigValue::table({}, SourceLocation{out.file(), 0, 0});
  // The schema's loss: softmax over each example's negatives (no key of the document).
  loss_defaults.set(
      "multi_negative",
      ConfigValue::string("softmax", SourceLocation{out.file() + " (the arabic-qwen schema's "
                                                                 "loss: softmax over each "
                                                                 "example's negatives)",
                                                    0, 0}));
  std::vector<Rule> rules;
  for (const auto& row : schema_keys()) {
    switch (row.action) {
      case Action::Set:
        apply_set(row, keys);
        break;
      case Action::LossOption:
        // Unwritten, it is not read: the resolved config, run again, leaves it a default.
        if (keys.written(row.path)) {
          for (const auto& target : row.targets) out.set(target, keys.read(row.path));
        } else {
          const SourceKey from{row.path, SourceLocation{out.file(), 0, 0}, false};
          ConfigValue value = row.fallback;
          value.set_location(translated_location(from, out.file()));
          loss_defaults.set(row.name(), std::move(value));
        }
        break;
      case Action::OnlyDefault: {
        const SourceValue value = keys.read(row.path);
        if (!same_value(value.value, row.fallback)) out.problem(value, row.why);
        break;
      }
      case Action::Inert: {
        const SourceValue value = keys.read(row.path);
        if (value.from.written && !same_value(value.value, row.fallback)) {
          out.note(value.from.path + " = " + written_value(value.value) +
                   " changes nothing: " + row.why);
        }
        break;
      }
      case Action::ByRule:
        if (std::find(rules.begin(), rules.end(), row.rule) == rules.end()) {
          rules.push_back(row.rule);
        }
        break;
      case Action::Alias:    // read with its Set key
      case Action::Pending:  // below
        break;
    }
  }
  for (Rule rule : rules) rule(keys);
  check_pending(keys);
  return loss_defaults;
}

}  // namespace wizard::cpo::arabic_qwen
