#include "arabic_qwen_rules.hpp"

namespace wizard::cpo::arabic_qwen::rules {

namespace {

using Kind = ConfigValue::Kind;
const std::string kArgs = "training_args_spec.";

std::string named(const SourceValue& value) {
  return value.from.path + " = " + written_value(value.value) +
         (value.from.written ? " (" + value.from.where.str() + ")" : " (default)");
}

// A translated value with the key it came from.
SourceValue translated(const SchemaTranslation& out, const std::string& target) {
  return {*out.find(target), *out.source_of(target)};
}

}  // namespace

void data_files(KeyReader& keys) {
  SchemaTranslation& out = keys.out;
  const SourceValue train = keys.read("data.train_file");
  out.set("dataset_spec.spec_class", ConfigValue::string("jsonl"), train.from);
  out.set("dataset_spec.data_files", train);

  // validation_file may be None; the split's default is read (and recorded) only where it
  // applies.
  const SourceValue file = keys.section("data").optional_text(
      "validation_file", schema_key("data.validation_file").fallback.as_string());
  if (!file.value.is(Kind::Null)) {
    out.set("validation.spec_class", ConfigValue::string("jsonl"), file.from);
    out.set("validation.data_files", file);
    if (keys.written("data.validation_split_percentage")) {
      out.problem(keys.read("data.validation_split_percentage"),
                  "splits train_file only when there is no validation_file; set "
                  "validation_file: null to split, or remove this key");
    }
    return;
  }
  const SourceValue split = keys.read("data.validation_split_percentage");
  const double fraction = split.value.as_float();
  if (fraction < 0 || fraction >= 1) {
    out.problem(split,
                "must be at least 0 and below 1: the share of train_file's rows held out "
                "(0: no validation)");
  } else if (fraction > 0) {
    out.set("validation", ConfigValue::floating(fraction), split.from);
  }
}

void row_limits(KeyReader& keys) {
  SchemaTranslation& out = keys.out;
  const SourceValue max_samples = keys.read("data.max_samples");
  if (!max_samples.value.is(Kind::Null)) {
    if (max_samples.value.as_integer() < 1) {
      out.problem(max_samples, "must be at least 1 (null: every row)");
    } else {
      out.set("dataset_spec.preprocessing.take", max_samples);
    }
  }
  const SourceValue sanity_check = keys.read("data.sanity_check");
  const SourceValue size = keys.read("data.sanity_check_size");
  if (!sanity_check.value.as_bool()) {
    if (size.from.written) {
      out.note(size.from.path + " = " + written_value(size.value) +
               " changes nothing: data.sanity_check is false");
    }
    return;
  }
  if (size.value.as_integer() < 1) {
    out.problem(size, "must be at least 1");
    return;
  }
  const ConfigValue* take = out.find("dataset_spec.preprocessing.take");
  if (!take || take->as_integer() > size.value.as_integer()) {
    out.set("dataset_spec.preprocessing.take", size);
  }
  if (out.find("validation.data_files")) out.set("validation.preprocessing.take", size);
}

void padding(KeyReader& keys) {
  SchemaSection& data = keys.section("data");
  const ConfigValue* written = data.config().find("padding");
  if (written && written->is(Kind::Bool)) return;  // true or false: accepted too
  const SourceValue value = keys.read("data.padding");
  const std::string text = value.value.as_string();
  if (text != "max_length" && text != "longest" && text != "do_not_pad") {
    keys.out.problem(value, "must be \"max_length\", \"longest\", \"do_not_pad\", true or false");
  }
}

void loss_type(KeyReader& keys) {
  const SourceValue loss_type = keys.read("cpo.loss_type");
  const std::string written = loss_type.value.as_string();
  keys.out.set(kArgs + "loss_type", ConfigValue::string(written == "cpo" ? "sigmoid" : written),
               loss_type.from);
}

void hard_negative_ratio(KeyReader& keys) {
  const std::string strategy = keys.read("cpo.negative_sampling_strategy").value.as_string();
  const SourceValue ratio = keys.read("cpo.hard_negative_ratio");
  if (strategy != "random" && strategy != "hard") {
    keys.out.set(kArgs + "hard_negative_ratio", ratio);
  } else if (ratio.from.written) {
    keys.out.note(ratio.from.path + " = " + written_value(ratio.value) +
                  " changes nothing with negative_sampling_strategy " + strategy +
                  " (mixed sampling draws that share of hard negatives)");
  }
}

void contrastive(KeyReader& keys) {
  SchemaTranslation& out = keys.out;
  const SourceValue weight = keys.read("cpo.contrastive_weight");
  const bool on = weight.value.as_float() > 0;
  const bool queue = keys.read("cpo.use_queue").value.as_bool();
  const bool momentum = keys.read("cpo.use_momentum").value.as_bool();
  struct Setting {
    const char* path;
    ConfigValue recipe_default;  // not passed on at this value
    bool applies;                // false: the setting of a part that is off
  };
  const Setting settings[] = {
      {"cpo.simcse_dropout", ConfigValue::floating(0), true},
      {"cpo.contrastive_temperature", ConfigValue::floating(0.05), true},
      {"cpo.normalize_embeddings", ConfigValue::boolean(true), true},
      {"cpo.projection_dim", ConfigValue::null(), true},
      {"cpo.use_queue", ConfigValue::boolean(false), true},
      {"cpo.queue_size", ConfigValue::integer(65536), queue},
      {"cpo.use_momentum", ConfigValue::boolean(false), true},
      {"cpo.momentum_beta", ConfigValue::floating(0.999), momentum},
  };
  if (weight.value.as_float() < 0) {
    out.problem(weight, "must be 0 (no contrastive term) or more");
    return;
  }
  if (on) out.set(kArgs + "contrastive_weight", weight);
  for (const Setting& setting : settings) {
    const SourceValue value = keys.read(setting.path);
    if (on && setting.applies) {
      if (!same_value(value.value, setting.recipe_default)) {
        out.set(kArgs + std::string(setting.path).substr(4), value);  // after "cpo."
      }
    } else if (value.from.written && !same_value(value.value, schema_key(setting.path).fallback)) {
      out.note(value.from.path + " = " + written_value(value.value) + " changes nothing: " +
               (on ? std::string(setting.path == std::string("cpo.queue_size")
                                     ? "cpo.use_queue is false"
                                     : "cpo.use_momentum is false")
                   : std::string("cpo.contrastive_weight is 0 (no contrastive term)")));
    }
  }
}

void augmentation(KeyReader& keys) {
  const SourceValue augment = keys.read("data.augment_data");
  const SourceValue strategy = keys.read("data.augmentation_strategy");
  const SourceValue ratio = keys.read("data.augmentation_ratio");
  if (!augment.value.as_bool()) {
    for (const SourceValue* value : {&strategy, &ratio}) {
      if (value->from.written) {
        keys.out.note(value->from.path + " = " + written_value(value->value) +
                      " changes nothing: data.augment_data is false");
      }
    }
    return;
  }
  keys.out.set(kArgs + "augment_data", augment);
  keys.out.set(kArgs + "augmentation_strategy", strategy);
  keys.out.set(kArgs + "augmentation_ratio", ratio);
}

void mining(KeyReader& keys) {
  const SourceValue create = keys.read("data.create_hard_negatives");
  const SourceValue strategy = keys.read("data.hard_negative_strategy");
  if (create.value.as_bool()) {
    keys.out.set(kArgs + "create_hard_negatives", create);
    keys.out.set(kArgs + "hard_negative_strategy", strategy);
  } else if (strategy.from.written) {
    keys.out.note(strategy.from.path + " = " + written_value(strategy.value) +
                  " changes nothing: data.create_hard_negatives is false");
  }
}

void cpo_gamma(KeyReader& keys) {
  // Unwritten, its default (1.0) is never used: margin's is the schema's gamma.
  if (!keys.written("cpo.cpo_gamma")) return;
  SchemaTranslation& out = keys.out;
  const SourceValue gamma = keys.read("cpo.cpo_gamma");
  const std::string loss = out.find(kArgs + "loss_type")->as_string();
  const bool simpo_like = loss == "simpo" || loss == "alphapo";
  if (simpo_like && keys.written("cpo.margin")) {
    const SourceValue margin = keys.read("cpo.margin");
    if (!same_value(margin.value, gamma.value)) {
      out.problem(margin.from.where.str() + ": " + margin.from.path + " = " +
                  written_value(margin.value) + " and " + gamma.from.where.str() + ": " +
                  gamma.from.path + " = " + written_value(gamma.value) +
                  " both set SimPO's gamma (the target reward margin) and disagree; keep one "
                  "of them");
    }
    return;  // margin carries it
  }
  out.set(kArgs + "simpo_gamma", gamma);
  if (!simpo_like) {
    out.note(gamma.from.path + " = " + written_value(gamma.value) +
             " is SimPO's gamma (TRL's simpo_gamma), which loss_type " +
             keys.read("cpo.loss_type").value.as_string() + " does not use");
  }
}

void max_target_length(KeyReader& keys) {
  // Its default (1024) holds for the default lengths only, so it is not recorded.
  if (!keys.written("cpo.max_target_length")) return;
  SchemaTranslation& out = keys.out;
  const SourceValue target = keys.read("cpo.max_target_length");
  const SourceValue max_length = translated(out, kArgs + "max_length");
  const SourceValue max_prompt = translated(out, kArgs + "max_prompt_length");
  const std::int64_t answer = max_length.value.as_integer() - max_prompt.value.as_integer();
  if (target.value.as_integer() == answer) return;
  out.problem(target, "answers keep max_length - max_prompt_length = " + std::to_string(answer) +
                          " tokens when a row is too long (" + named(max_length) + ", " +
                          named(max_prompt) + "), as in TRL; set max_target_length to " +
                          std::to_string(answer) + " or remove it");
}

void lora(KeyReader& keys) {
  SchemaTranslation& out = keys.out;
  const SourceValue use = keys.read("optimization.use_lora");
  const SourceValue rank = keys.read("optimization.lora_rank");
  const SourceValue quantise = keys.read("optimization.use_quantization");
  if (!use.value.as_bool()) {
    if (rank.from.written) {
      out.note(rank.from.path + " = " + written_value(rank.value) +
               " changes nothing: optimization.use_lora is false");
    }
    if (quantise.value.as_bool()) {
      out.problem(quantise,
                  "keeps the frozen base weights in 4 bits, which train only through LoRA "
                  "adapters; set optimization.use_lora: true, or remove the key");
    }
    return;
  }
  if (rank.value.as_integer() < 1) {
    out.problem(rank, "must be at least 1");
    return;
  }
  const std::string spec = "transformer_spec.lora_spec.";
  out.set(spec + "r", rank);
  // training-wizard's default alpha is twice its default rank (64 for 32).
  out.set(spec + "lora_alpha", ConfigValue::integer(2 * rank.value.as_integer()), rank.from);
  if (quantise.value.as_bool()) {
    out.set("transformer_spec.bnb_spec.load_in_4bit", ConfigValue::boolean(true), quantise.from);
  }
}

void wandb(KeyReader& keys) {
  // W&B's client cannot run here: the run writes TensorBoard events and prints the
  // `wandb sync` command for the project (report_to = "wandb", docs/training.md).
  const SourceValue use = keys.read("logging.use_wandb");
  const SourceValue project = keys.read("logging.wandb_project");
  if (!use.value.as_bool()) {
    if (project.from.written) {
      keys.out.note(project.from.path + " = " + written_value(project.value) +
                    " changes nothing: logging.use_wandb is false");
    }
    return;
  }
  keys.out.set(kArgs + "report_to", ConfigValue::string("wandb"), use.from);
  keys.out.set(kArgs + "wandb_project", project);
}

}  // namespace wizard::cpo::arabic_qwen::rules
