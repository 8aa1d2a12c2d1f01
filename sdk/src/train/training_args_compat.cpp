#include "train/training_args_compat.hpp"

#include <string>
#include <vector>

#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"

namespace wizard::train::detail {

namespace {

using Kind = ConfigValue::Kind;

// What happens when a config gives a value other than HF's default.
enum class Policy {
  ignore,  // no effect on training: debug log
  warn,    // the user expects an effect wizard does not have: warning
  refuse,  // the run would silently differ from what was asked: ConfigError
};

// The accepted ConfigValue kinds of an option (null always passes: HF's None).
enum class Shape {
  boolean,
  integer,
  number,
  string,
  strings,
  string_or_strings,
  table,
  table_or_string
};

struct CompatOption {
  const char* name;
  Shape shape;
  const char* default_value;  // as docs show it; "" for None
  Policy policy;
  bool (*is_default)(const ConfigValue&);
  const char* note;
};

bool is_null(const ConfigValue& v) {
  return v.is(Kind::Null);
}
bool is_false(const ConfigValue& v) {
  return is_null(v) || (v.is(Kind::Bool) && !v.as_bool());
}
bool is_true(const ConfigValue& v) {
  return is_null(v) || (v.is(Kind::Bool) && v.as_bool());
}
bool is_zero(const ConfigValue& v) {
  return is_null(v) || ((v.is(Kind::Integer) || v.is(Kind::Float)) && v.as_float() == 0.0);
}
bool is_empty(const ConfigValue& v) {
  if (is_null(v)) return true;
  if (v.is(Kind::String)) return v.as_string().empty();
  if (v.is(Kind::Array)) return v.as_array().empty();
  if (v.is(Kind::Table)) return v.as_table().empty();
  return v.is(Kind::Bool) && !v.as_bool();
}
bool anything(const ConfigValue&) {
  return true;
}

const std::vector<CompatOption>& compat_options() {
  static const std::vector<CompatOption> options = {
      // --- run bookkeeping used by HF's example scripts, not by its Trainer ---
      {"do_train", Shape::boolean, "false", Policy::ignore, anything,
       "read by HF's example scripts only"},
      {"do_eval", Shape::boolean, "false", Policy::ignore, anything,
       "read by HF's example scripts only"},
      {"do_predict", Shape::boolean, "false", Policy::ignore, anything,
       "read by HF's example scripts only"},
      // --- logging and reporting ---
      {"logging_nan_inf_filter", Shape::boolean, "true", Policy::ignore, anything,
       "wizard stops at a non-finite loss instead of filtering it"},
      {"log_level", Shape::string, "passive", Policy::ignore, anything, "use wizard --log-level"},
      {"log_level_replica", Shape::string, "warning", Policy::ignore, anything,
       "use wizard --log-level"},
      {"log_on_each_node", Shape::boolean, "true", Policy::ignore, anything, "one process logs"},
      {"skip_memory_metrics", Shape::boolean, "true", Policy::ignore, anything,
       "no memory metrics"},
      {"include_tokens_per_second", Shape::boolean, "false", Policy::ignore, anything,
       "wizard always logs tokens_per_second"},
      {"include_num_input_tokens_seen", Shape::boolean, "false", Policy::ignore, anything,
       "trainer_state.json always has num_input_tokens_seen"},
      {"include_for_metrics", Shape::strings, "[]", Policy::ignore, anything, "no compute_metrics"},
      {"include_inputs_for_metrics", Shape::boolean, "false", Policy::ignore, anything,
       "no compute_metrics"},
      // --- saving and the hub ---
      {"save_safetensors", Shape::boolean, "true", Policy::warn, is_true,
       "wizard always writes safetensors"},
      {"save_on_each_node", Shape::boolean, "false", Policy::ignore, anything, "one process saves"},
      {"push_to_hub", Shape::boolean, "false", Policy::warn, is_false,
       "wizard does not upload models; upload output_dir yourself"},
      {"hub_model_id", Shape::string, "", Policy::ignore, anything, "no hub uploads"},
      {"hub_strategy", Shape::string, "every_save", Policy::ignore, anything, "no hub uploads"},
      {"hub_token", Shape::string, "", Policy::ignore, anything, "no hub uploads"},
      {"hub_private_repo", Shape::boolean, "", Policy::ignore, anything, "no hub uploads"},
      {"hub_always_push", Shape::boolean, "false", Policy::ignore, anything, "no hub uploads"},
      {"hub_revision", Shape::string, "", Policy::ignore, anything, "no hub uploads"},
      {"restore_callback_states_from_checkpoint", Shape::boolean, "false", Policy::ignore, anything,
       "wizard has no callbacks"},
      // --- data loading (the recipe's sampler makes the micro-batches) ---
      {"dataloader_num_workers", Shape::integer, "0", Policy::ignore, anything,
       "batches are prepared in the training process"},
      {"dataloader_pin_memory", Shape::boolean, "true", Policy::ignore, anything, "no DataLoader"},
      {"dataloader_persistent_workers", Shape::boolean, "false", Policy::ignore, anything,
       "no DataLoader"},
      {"dataloader_prefetch_factor", Shape::integer, "", Policy::ignore, anything, "no DataLoader"},
      {"remove_unused_columns", Shape::boolean, "true", Policy::ignore, anything,
       "recipes read only the columns they need"},
      {"label_names", Shape::strings, "", Policy::ignore, anything, "recipes know their labels"},
      {"length_column_name", Shape::string, "length", Policy::ignore, anything,
       "see group_by_length"},
      {"group_by_length", Shape::boolean, "false", Policy::warn, is_false,
       "the recipe's sampler decides the batch order"},
      {"past_index", Shape::integer, "-1", Policy::ignore, anything, "no past states"},
      {"dispatch_batches", Shape::boolean, "", Policy::ignore, anything, "deprecated in HF"},
      {"split_batches", Shape::boolean, "", Policy::ignore, anything, "deprecated in HF"},
      // --- evaluation details of HF's prediction loop ---
      {"prediction_loss_only", Shape::boolean, "false", Policy::ignore, anything,
       "no predictions are kept"},
      {"eval_accumulation_steps", Shape::integer, "", Policy::ignore, anything,
       "no predictions are kept"},
      {"eval_do_concat_batches", Shape::boolean, "true", Policy::ignore, anything,
       "no predictions are kept"},
      {"batch_eval_metrics", Shape::boolean, "false", Policy::ignore, anything,
       "no compute_metrics"},
      {"eval_use_gather_object", Shape::boolean, "false", Policy::ignore, anything,
       "one process evaluates"},
      {"use_legacy_prediction_loop", Shape::boolean, "false", Policy::ignore, anything, "one loop"},
      {"jit_mode_eval", Shape::boolean, "false", Policy::ignore, anything, "no TorchScript"},
      {"bf16_full_eval", Shape::boolean, "false", Policy::ignore, anything,
       "evaluation runs in the parameters' dtype"},
      {"fp16_full_eval", Shape::boolean, "false", Policy::ignore, anything,
       "evaluation runs in the parameters' dtype"},
      // --- precision and kernels ---
      {"tf32", Shape::boolean, "", Policy::ignore, anything, "LibTorch's matmul precision applies"},
      {"half_precision_backend", Shape::string, "auto", Policy::ignore, anything,
       "no AMP backends"},
      {"fp16_opt_level", Shape::string, "O1", Policy::ignore, anything, "no apex"},
      {"full_determinism", Shape::boolean, "false", Policy::ignore, anything,
       "wizard's CPU training is deterministic for a given thread count"},
      {"gradient_checkpointing_kwargs", Shape::table, "", Policy::ignore, anything,
       "wizard recomputes each decoder layer in backward (non-reentrant)"},
      {"torch_compile", Shape::boolean, "false", Policy::warn, is_false,
       "LibTorch C++ has no torch.compile"},
      {"torch_compile_backend", Shape::string, "", Policy::ignore, anything, "no torch.compile"},
      {"torch_compile_mode", Shape::string, "", Policy::ignore, anything, "no torch.compile"},
      {"use_liger_kernel", Shape::boolean, "false", Policy::warn, is_false,
       "wizard computes the LM head only where needed, in chunks, instead"},
      {"use_ipex", Shape::boolean, "false", Policy::warn, is_false, "no Intel extension"},
      {"use_mps_device", Shape::boolean, "false", Policy::ignore, anything, "deprecated in HF"},
      {"torch_empty_cache_steps", Shape::integer, "", Policy::ignore, anything,
       "no cache emptying"},
      {"auto_find_batch_size", Shape::boolean, "false", Policy::warn, is_false,
       "the batch size is per_device_train_batch_size"},
      {"average_tokens_across_devices", Shape::boolean, "false", Policy::ignore, anything,
       "losses are averaged by the recipe"},
      // --- distributed training (started torchrun-style; these HF knobs do not apply) ---
      {"local_rank", Shape::integer, "-1", Policy::ignore, anything,
       "read from LOCAL_RANK (docs/distributed.md)"},
      {"ddp_find_unused_parameters", Shape::boolean, "", Policy::ignore, anything,
       "a parameter without a gradient on a rank contributes zeros to the all-reduce"},
      {"ddp_broadcast_buffers", Shape::boolean, "", Policy::ignore, anything,
       "every rank loads the same weights, and the models have no buffers that training changes"},
      {"accelerator_config", Shape::table_or_string, "", Policy::ignore, anything, "no Accelerate"},
      {"tpu_num_cores", Shape::integer, "", Policy::ignore, anything, "no TPUs"},
      {"tpu_metrics_debug", Shape::boolean, "false", Policy::ignore, anything, "no TPUs"},
      {"debug", Shape::string_or_strings, "", Policy::ignore, anything, "no debug hooks"},
      {"mp_parameters", Shape::string, "", Policy::ignore, anything, "no SageMaker"},
      {"ray_scope", Shape::string, "last", Policy::ignore, anything, "no hyper-parameter search"},
      // --- features wizard does not have: refused unless off ---
      {"deepspeed", Shape::table_or_string, "", Policy::refuse, is_empty,
       "DeepSpeed is not available in wizard; remove the key"},
      {"fsdp", Shape::string_or_strings, "", Policy::refuse, is_empty,
       "FSDP is not available in wizard; remove the key"},
      {"fsdp_config", Shape::table_or_string, "", Policy::refuse, is_empty,
       "FSDP is not available in wizard; remove the key"},
      {"neftune_noise_alpha", Shape::number, "", Policy::refuse, is_null,
       "NEFTune embedding noise is not implemented; remove the key"},
      {"label_smoothing_factor", Shape::number, "0.0", Policy::refuse, is_zero,
       "it smooths HF's built-in LM loss; preference recipes have a label_smoothing option of "
       "their "
       "own"},
      {"optim_args", Shape::string, "", Policy::refuse, is_empty,
       "the supported optimizers take no extra arguments"},
      {"optim_target_modules", Shape::string_or_strings, "", Policy::refuse, is_empty,
       "GaLore/APOLLO optimizers are not available"},
      {"adafactor", Shape::boolean, "false", Policy::refuse, is_false,
       "Adafactor is not available; see optim for the supported optimizers"},
  };
  return options;
}

const char* shape_name(Shape shape) {
  switch (shape) {
    case Shape::boolean:
      return "bool";
    case Shape::integer:
      return "int";
    case Shape::number:
      return "float";
    case Shape::string:
      return "string";
    case Shape::strings:
      return "list[string]";
    case Shape::string_or_strings:
      return "string or list[string]";
    case Shape::table:
      return "table";
    case Shape::table_or_string:
      return "table or string";
  }
  return "?";
}

bool all_strings(const ConfigValue& v) {
  if (!v.is(Kind::Array)) return false;
  for (const auto& item : v.as_array()) {
    if (!item.is(Kind::String)) return false;
  }
  return true;
}

bool has_shape(const ConfigValue& v, Shape shape) {
  if (v.is(Kind::Null)) return true;
  switch (shape) {
    case Shape::boolean:
      return v.is(Kind::Bool);
    case Shape::integer:
      return v.is(Kind::Integer);
    case Shape::number:
      return v.is(Kind::Integer) || v.is(Kind::Float);
    case Shape::string:
      return v.is(Kind::String);
    case Shape::strings:
      return all_strings(v);
    case Shape::string_or_strings:
      return v.is(Kind::String) || all_strings(v);
    case Shape::table:
      return v.is(Kind::Table);
    case Shape::table_or_string:
      return v.is(Kind::Table) || v.is(Kind::String);
  }
  return false;
}

}  // namespace

OptionDocs compat_option_docs() {
  OptionDocs docs;
  for (const auto& option : compat_options()) {
    const std::string effect = option.policy == Policy::refuse ? "refused unless off: "
                               : option.policy == Policy::warn ? "no effect (warns): "
                                                               : "no effect: ";
    std::string default_value = option.default_value;
    const bool textual = option.shape == Shape::string || option.shape == Shape::string_or_strings;
    if (textual && !default_value.empty()) default_value = "\"" + default_value + "\"";
    docs.push_back({option.name, shape_name(option.shape), default_value, effect + option.note});
  }
  return docs;
}

void check_compat_options(const Config& table) {
  for (const auto& option : compat_options()) {
    const ConfigValue* value = table.find(option.name);
    if (!value) continue;
    if (!has_shape(*value, option.shape)) {
      table.fail(option.name, std::string("must be a ") + shape_name(option.shape) +
                                  ", but it is a " + value->kind_name());
    }
    const std::string where =
        table.location(option.name).str() + ": " + table.key_path(option.name);
    if (option.is_default(*value)) {
      logger()->debug("{}: accepted for compatibility with HF TrainingArguments; {}", where,
                      option.note);
      continue;
    }
    switch (option.policy) {
      case Policy::ignore:
        logger()->debug("{}: accepted for compatibility with HF TrainingArguments; {}", where,
                        option.note);
        break;
      case Policy::warn:
        logger()->warn("{} has no effect in wizard: {}", where, option.note);
        break;
      case Policy::refuse:
        table.fail(option.name, std::string("is not supported by wizard: ") + option.note);
    }
  }
}

}  // namespace wizard::train::detail
