// Reading training_args_spec: one descriptor per used field (name, type, help, how to read
// it over the caller's defaults), then HF's cross-field rules (__post_init__).
#include "wizard/train/training_args.hpp"

#include <ATen/Parallel.h>
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <thread>

#include "train/training_args_compat.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"
#include "wizard/distributed/environment.hpp"
#include "wizard/train/checkpoint.hpp"
#include "wizard/train/lr_schedule.hpp"

namespace wizard::train {

namespace fs = std::filesystem;

std::string interval_name(Interval interval) {
  switch (interval) {
    case Interval::no:
      return "no";
    case Interval::steps:
      return "steps";
    case Interval::epoch:
      return "epoch";
    case Interval::best:
      return "best";
  }
  return "?";
}

namespace {

using Kind = ConfigValue::Kind;

// Numbers as a user writes them: 500, 3.0 stays 3, 5e-05.
std::string text_of(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  return nlohmann::json(value).dump();
}
std::string text_of(int64_t value) {
  return std::to_string(value);
}
std::string text_of(bool value) {
  return value ? "true" : "false";
}
std::string text_of(const std::string& value) {
  return value.empty() ? value : "\"" + value + "\"";
}

struct Field {
  std::string name;
  std::string type;
  std::string help;
  std::function<std::string(const TrainingArguments&)> default_text;
  std::function<void(const Config&, TrainingArguments&)> read;  // `args` holds the defaults
};

template <class T>
Field plain(const char* name, const char* type, T TrainingArguments::*member, const char* help) {
  return {name, type, help, [member](const TrainingArguments& d) { return text_of(d.*member); },
          [name, member](const Config& table, TrainingArguments& args) {
            args.*member = table.get<T>(name, args.*member);
          }};
}

// An HF field whose default is None: absent or null keeps the caller's default.
template <class T>
Field optional(const char* name, const char* type, std::optional<T> TrainingArguments::*member,
               const char* unset_text, const char* help) {
  return {name, type, help,
          [member, unset_text](const TrainingArguments& d) {
            return d.*member ? text_of(*(d.*member)) : std::string(unset_text);
          },
          [name, member](const Config& table, TrainingArguments& args) {
            const ConfigValue* value = table.find(name);
            if (value && value->is(Kind::Null)) {
              args.*member = std::nullopt;
            } else if (args.*member) {
              args.*member = table.get<T>(name, *(args.*member));
            } else if (value) {
              args.*member = table.require<T>(name);
            }
          }};
}

// "no" / "steps" / "epoch" (and "best" where allowed), as HF's strategy enums.
Interval read_interval(const Config& table, const std::string& key, Interval fallback,
                       bool allow_best) {
  std::vector<std::string> names = {"no", "steps", "epoch"};
  if (allow_best) names.push_back("best");
  const std::string name = table.get<std::string>(key, interval_name(fallback));
  for (Interval interval : {Interval::no, Interval::steps, Interval::epoch, Interval::best}) {
    if (interval_name(interval) == name && (allow_best || interval != Interval::best))
      return interval;
  }
  std::string message =
      "must be one of \"" + join(names, "\", \"") + "\", but it is \"" + name + "\"";
  if (auto nearest = nearest_name(name, names)) message += "; did you mean \"" + *nearest + "\"?";
  table.fail(key, message);
}

// HF renamed evaluation_strategy to eval_strategy (and no_cuda to use_cpu); both spellings
// are accepted, one at a time.
std::string pick_alias(const Config& table, const std::string& name, const std::string& old_name) {
  if (!table.has(old_name)) return name;
  if (table.has(name)) {
    table.fail(old_name,
               "is the old name of '" + name + "', which is also given; keep only '" + name + "'");
  }
  logger()->info("{}: '{}' is the old name of '{}'", table.location(old_name).str(), old_name,
                 name);
  return old_name;
}

Field path_field(const char* name, fs::path TrainingArguments::*member, const char* help) {
  return {name, "string", help,
          [member](const TrainingArguments& d) {
            return (d.*member).empty() ? std::string() : text_of((d.*member).string());
          },
          [name, member](const Config& table, TrainingArguments& args) {
            args.*member = (args.*member).empty()
                               ? table.require<std::string>(name)
                               : table.get<std::string>(name, (args.*member).string());
          }};
}

const std::vector<Field>& fields() {
  using A = TrainingArguments;
  static const std::vector<Field> list = {
      // --- output ---
      path_field("output_dir", &A::output_dir,
                 "where checkpoints, metrics.jsonl and the final model are written (required)"),
      plain("overwrite_output_dir", "bool", &A::overwrite_output_dir,
            "delete existing checkpoint-* folders in output_dir instead of refusing to start"),
      plain("run_name", "string", &A::run_name, "a name for the run in logs (default: output_dir)"),
      // --- duration and batches ---
      plain("num_train_epochs", "float", &A::num_train_epochs,
            "epochs to train (a fraction stops part-way through the last one)"),
      plain("max_steps", "int", &A::max_steps,
            "optimizer steps to train; > 0 overrides num_train_epochs"),
      plain("per_device_train_batch_size", "int", &A::per_device_train_batch_size,
            "examples per micro-batch in training"),
      plain("per_device_eval_batch_size", "int", &A::per_device_eval_batch_size,
            "examples per batch in evaluation"),
      plain("gradient_accumulation_steps", "int", &A::gradient_accumulation_steps,
            "micro-batches per optimizer step (each micro-batch loss is divided by this)"),
      plain("dataloader_drop_last", "bool", &A::dataloader_drop_last,
            "the sampler drops the last incomplete micro-batch of each epoch"),
      // --- optimizer ---
      plain("optim", "string", &A::optim,
            "adamw_torch, adamw_torch_fused and paged_adamw_32bit: AdamW with float32 state; "
            "adamw_bnb_8bit, adamw_8bit and paged_adamw_8bit: AdamW with bitsandbytes' blockwise "
            "8-bit state (paged_ names page nothing on the CPU)"),
      plain("learning_rate", "float", &A::learning_rate, "peak learning rate of the schedule"),
      plain("weight_decay", "float", &A::weight_decay,
            "decoupled weight decay (not applied to biases and norm weights)"),
      plain("adam_beta1", "float", &A::adam_beta1, "AdamW beta1"),
      plain("adam_beta2", "float", &A::adam_beta2, "AdamW beta2"),
      plain("adam_epsilon", "float", &A::adam_epsilon,
            "AdamW epsilon (added to sqrt of the second moment)"),
      plain("max_grad_norm", "float", &A::max_grad_norm,
            "clip the global L2 norm of the gradients to this; 0 disables clipping"),
      // --- schedule ---
      plain("lr_scheduler_type", "string", &A::lr_scheduler_type,
            "linear, cosine, constant, constant_with_warmup or inverse_sqrt"),
      {"lr_scheduler_kwargs", "table",
       "extra schedule arguments: num_cycles (cosine), timescale (inverse_sqrt)",
       [](const A&) { return std::string(); },
       [](const Config& table, A& args) {
         const Config kwargs = table.table("lr_scheduler_kwargs");
         args.cosine_num_cycles = kwargs.get<double>("num_cycles", args.cosine_num_cycles);
         const ConfigValue* timescale = kwargs.find("timescale");
         if (timescale && !timescale->is(Kind::Null)) {
           args.inverse_sqrt_timescale = kwargs.require<int64_t>("timescale");
         }
       }},
      {"lr_scheduler_kwargs.num_cycles", "float",
       "cosine: number of cosine periods (0.5: half a cosine, from the peak down to 0)",
       [](const A& d) { return text_of(d.cosine_num_cycles); }, [](const Config&, A&) {}},
      {"lr_scheduler_kwargs.timescale", "int",
       "inverse_sqrt: timescale (default warmup steps or 10000)",
       [](const A& d) {
         return d.inverse_sqrt_timescale ? text_of(*d.inverse_sqrt_timescale) : std::string();
       },
       [](const Config&, A&) {}},
      plain("warmup_steps", "int", &A::warmup_steps,
            "linear warmup steps; > 0 wins over warmup_ratio"),
      plain("warmup_ratio", "float", &A::warmup_ratio, "warmup as a fraction of the total steps"),
      // --- logging ---
      {"logging_strategy", "string", "when to log: \"no\", \"steps\" or \"epoch\"",
       [](const A& d) { return text_of(interval_name(d.logging_strategy)); },
       [](const Config& table, A& args) {
         args.logging_strategy =
             read_interval(table, "logging_strategy", args.logging_strategy, false);
       }},
      plain("logging_steps", "float", &A::logging_steps,
            "log every this many steps (< 1: a fraction of the total steps)"),
      plain("logging_first_step", "bool", &A::logging_first_step, "also log after the first step"),
      plain("disable_tqdm", "bool", &A::disable_tqdm, "no progress bar on the console"),
      {"report_to", "string or list[string]",
       "also log to \"tensorboard\" (event files in logging_dir), \"mlflow\" (a file store), "
       "\"wandb\" (TensorBoard events and the `wandb sync` command), \"all\" or \"none\"",
       [](const A&) { return text_of(std::string("none")); },
       [](const Config& table, A& args) {
         const ConfigValue* value = table.find("report_to");
         if (!value || value->is(Kind::Null)) return;
         args.report_to = value->is(Kind::Array)
                              ? table.require<std::vector<std::string>>("report_to")
                              : std::vector<std::string>{table.require<std::string>("report_to")};
       }},
      {"logging_dir", "string", "TensorBoard's folder (default output_dir/runs/<time>_<host>)",
       [](const A& d) {
         return d.logging_dir.empty() ? std::string() : text_of(d.logging_dir.string());
       },
       [](const Config& table, A& args) {
         const ConfigValue* value = table.find("logging_dir");
         if (value && !value->is(Kind::Null))
           args.logging_dir = table.require<std::string>("logging_dir");
       }},
      // --- evaluation ---
      {"eval_strategy", "string", "when to evaluate: \"no\", \"steps\" or \"epoch\"",
       [](const A& d) { return text_of(interval_name(d.eval_strategy)); },
       [](const Config& table, A& args) {
         const std::string key = pick_alias(table, "eval_strategy", "evaluation_strategy");
         args.eval_strategy = read_interval(table, key, args.eval_strategy, false);
       }},
      {"evaluation_strategy", "string", "the old name of eval_strategy",
       [](const A&) { return std::string(); }, [](const Config&, A&) {}},
      optional("eval_steps", "float", &A::eval_steps, "logging_steps",
               "evaluate every this many steps (< 1: a fraction of the total steps)"),
      plain("eval_delay", "float", &A::eval_delay,
            "no evaluation before this many steps (or epochs)"),
      plain("eval_on_start", "bool", &A::eval_on_start, "evaluate once before training"),
      optional("metric_for_best_model", "string", &A::metric_for_best_model, "",
               "evaluation metric that picks the best checkpoint (\"loss\" means eval_loss)"),
      optional(
          "greater_is_better", "bool", &A::greater_is_better, "",
          "whether a larger metric_for_best_model is better (default: unless it ends in \"loss\")"),
      plain("load_best_model_at_end", "bool", &A::load_best_model_at_end,
            "end with the best checkpoint's weights (metric_for_best_model, default \"loss\"); "
            "saving must follow evaluation"),
      // --- checkpoints ---
      {"save_strategy", "string",
       "when to save a checkpoint: \"no\", \"steps\", \"epoch\" or \"best\"",
       [](const A& d) { return text_of(interval_name(d.save_strategy)); },
       [](const Config& table, A& args) {
         args.save_strategy = read_interval(table, "save_strategy", args.save_strategy, true);
       }},
      plain("save_steps", "float", &A::save_steps,
            "save every this many steps (< 1: a fraction of the total steps)"),
      optional("save_total_limit", "int", &A::save_total_limit, "",
               "keep at most this many checkpoints (the oldest go first; the best stays)"),
      plain("save_only_model", "bool", &A::save_only_model,
            "checkpoints hold the model only (no optimizer, scheduler or RNG state: no resume)"),
      {"resume_from_checkpoint", "bool or string",
       "a checkpoint folder to resume from, true for the newest checkpoint in output_dir, or "
       "\"auto\" for the newest complete one (no checkpoint yet: start from the beginning)",
       [](const A& d) {
         if (d.resume_skips_damaged) return std::string("\"auto\"");
         if (d.resume_from_latest_checkpoint) return std::string("true");
         return d.resume_from_checkpoint.empty() ? std::string("false")
                                                 : text_of(d.resume_from_checkpoint.string());
       },
       [](const Config& table, A& args) {
         const ConfigValue* value = table.find("resume_from_checkpoint");
         if (!value || value->is(Kind::Null)) return;
         if (value->is(Kind::Bool)) {
           args.resume_from_latest_checkpoint = value->as_bool();
           args.resume_skips_damaged = false;
           args.resume_from_checkpoint.clear();
         } else if (value->is(Kind::String) && value->as_string() == "auto") {
           args.resume_from_latest_checkpoint = true;
           args.resume_skips_damaged = true;
           args.resume_from_checkpoint.clear();
         } else if (value->is(Kind::String)) {
           args.resume_from_checkpoint = value->as_string();
           args.resume_from_latest_checkpoint = false;
           args.resume_skips_damaged = false;
         } else {
           table.fail("resume_from_checkpoint",
                      std::string("must be a checkpoint folder, true or \"auto\", but it is a ") +
                          value->kind_name());
         }
       }},
      plain("ignore_data_skip", "bool", &A::ignore_data_skip,
            "on resume, restart the interrupted epoch from its first micro-batch"),
      plain("save_on_interrupt", "bool", &A::save_on_interrupt,
            "on SIGINT/SIGTERM finish the current step and save a checkpoint before stopping"),
      // --- precision and memory ---
      {"bf16", "bool", "bfloat16 parameters with float32 master weights in the optimizer",
       [](const A& d) { return d.bf16 ? text_of(*d.bf16) : std::string("true unless fp16"); },
       [](const Config& table, A& args) {
         if (const ConfigValue* value = table.find("bf16"); value && !value->is(Kind::Null)) {
           args.bf16 = table.require<bool>("bf16");
         }
       }},
      plain("fp16", "bool", &A::fp16,
            "float16 parameters with float32 master weights in the optimizer"),
      plain("gradient_checkpointing", "bool", &A::gradient_checkpointing,
            "recompute each decoder layer in backward to save memory"),
      plain("disable_dropout", "bool", &A::disable_dropout,
            "accepted for TRL configs; the supported models have no dropout"),
      // --- reproducibility and machine ---
      plain("seed", "int", &A::seed, "seed of the run's random generators"),
      optional("data_seed", "int", &A::data_seed, "seed", "seed of the data order (default: seed)"),
      plain("threads", "int", &A::threads,
            "intra-op CPU threads; 0 = every core the process may use"),
      {"use_cpu", "bool", "train on the CPU even when a GPU is present",
       [](const A& d) { return text_of(d.use_cpu); },
       [](const Config& table, A& args) {
         args.use_cpu = table.get<bool>(pick_alias(table, "use_cpu", "no_cuda"), args.use_cpu);
       }},
      {"no_cuda", "bool", "the old name of use_cpu", [](const A&) { return std::string(); },
       [](const Config&, A&) {}},
      // --- data parallel ---
      plain("ddp_backend", "string", &A::ddp_backend,
            "process group of a data-parallel run: gloo or nccl (default: gloo on the CPU, nccl "
            "on CUDA)"),
      plain("ddp_timeout", "int", &A::ddp_timeout,
            "seconds a data-parallel rank waits for the others before it stops with an error"),
      plain("ddp_bucket_cap_mb", "int", &A::ddp_bucket_cap_mb,
            "MB of gradients per all-reduce bucket (started during backward as buckets fill)"),
      plain("optimizer_sharding", "bool", &A::optimizer_sharding,
            "data parallel: each rank keeps and steps the AdamW state of its share of the "
            "parameters only (ZeRO stage 1); no effect on a single process"),
  };
  return list;
}

bool is_integral(double value) {
  return value == std::floor(value);
}

// Bounds of counts: far beyond any real run, well inside what int64 arithmetic on them
// (steps x micro-batches, tokens) can hold.
constexpr int64_t kMaxSteps = 1'000'000'000'000;  // 1e12 optimizer steps
constexpr int64_t kMaxBatch = 1 << 20;            // examples per micro-batch
constexpr double kMaxEpochs = 1e6;
// A learning rate above this is a typo (AdamW moves each weight by about the rate per step).
constexpr double kMaxLearningRate = 10;

// logging_steps / eval_steps / save_steps: an integer, or a fraction in (0, 1).
void check_interval_steps(const Config& table, const std::string& key, double value) {
  if (!(value > 0)) table.fail(key, "must be positive when the strategy is \"steps\"");
  if (value > 1 && !is_integral(value)) {
    table.fail(key,
               "must be a whole number of steps or a fraction in (0, 1), not " + text_of(value));
  }
}

// HF's TrainingArguments.__post_init__: the best checkpoint must exist when its evaluation
// names it, so saving follows evaluation; the metric defaults to the evaluation loss.
void check_load_best_model(const Config& table, TrainingArguments& args) {
  if (args.save_strategy != Interval::best) {
    if (args.eval_strategy != args.save_strategy) {
      table.fail("load_best_model_at_end",
                 "needs save_strategy and eval_strategy to match (or save_strategy = \"best\"), "
                 "but they are \"" +
                     interval_name(args.save_strategy) + "\" and \"" +
                     interval_name(args.eval_strategy) + "\"");
    }
    if (args.eval_strategy == Interval::steps && args.eval_steps && *args.eval_steps >= 1 &&
        args.save_steps >= 1 && std::fmod(args.save_steps, *args.eval_steps) != 0) {
      table.fail("load_best_model_at_end", "needs save_steps (" + text_of(args.save_steps) +
                                               ") to be a whole multiple of eval_steps (" +
                                               text_of(*args.eval_steps) + ")");
    }
  }
  if (!args.metric_for_best_model) {
    args.metric_for_best_model = "loss";
    table.record("metric_for_best_model", ConfigValue::string("loss"));
  }
}

void check_optimizer(const Config& table, const std::string& optim) {
  const auto& names = TrainingArguments::optimizer_names();
  if (std::find(names.begin(), names.end(), optim) == names.end()) {
    std::string message =
        "\"" + optim + "\" is not a supported optimizer; supported: " + join(names);
    if (auto nearest = nearest_name(optim, names))
      message += "; did you mean \"" + *nearest + "\"?";
    table.fail("optim", message);
  }
}

// report_to: "none" and [] report nowhere, "all" means every destination wizard writes; a
// name HF knows but wizard does not write is refused rather than silently dropped.
void check_report_to(const Config& table, TrainingArguments& args) {
  static const std::vector<std::string> supported = {"tensorboard", "mlflow", "wandb"};
  std::vector<std::string> destinations;
  auto add = [&](const std::string& name) {
    if (std::find(destinations.begin(), destinations.end(), name) == destinations.end())
      destinations.push_back(name);
  };
  for (const std::string& name : args.report_to) {
    if (name == "none") continue;
    if (name == "all") {
      add("tensorboard");
      add("mlflow");
    } else if (std::find(supported.begin(), supported.end(), name) != supported.end()) {
      add(name);
    } else {
      table.fail("report_to", "\"" + name +
                                  "\" is not a destination wizard writes; use \"tensorboard\", "
                                  "\"mlflow\", \"wandb\", \"all\" or \"none\" (every event "
                                  "also goes to output_dir/metrics.jsonl)");
    }
  }
  if (args.report_to.size() > 1 &&
      std::find(args.report_to.begin(), args.report_to.end(), "none") != args.report_to.end()) {
    table.fail("report_to", "\"none\" cannot be listed with other destinations");
  }
  args.report_to = destinations;
}

void check_values(const Config& table, TrainingArguments& args) {
  if (args.output_dir.empty()) table.fail("output_dir", "must not be empty");
  if (args.max_steps == 0 || args.max_steps < -1) {
    table.fail("max_steps", "must be -1 (train num_train_epochs) or a positive number of steps");
  }
  table.check_int_range("max_steps", args.max_steps, -1, kMaxSteps);
  if (args.max_steps < 0 && !(args.num_train_epochs > 0)) {
    table.fail("num_train_epochs", "must be positive (or set max_steps)");
  }
  table.check_range("num_train_epochs", args.num_train_epochs, 0, kMaxEpochs);
  table.check_int_range("per_device_train_batch_size", args.per_device_train_batch_size, 1,
                        kMaxBatch);
  table.check_int_range("per_device_eval_batch_size", args.per_device_eval_batch_size, 1,
                        kMaxBatch);
  table.check_int_range("gradient_accumulation_steps", args.gradient_accumulation_steps, 1,
                        kMaxBatch);
  table.check_range("learning_rate", args.learning_rate, 0, kMaxLearningRate);
  table.check_range("weight_decay", args.weight_decay, 0, 100);
  if (!(args.adam_beta1 >= 0 && args.adam_beta1 < 1)) table.fail("adam_beta1", "must be in [0, 1)");
  if (!(args.adam_beta2 >= 0 && args.adam_beta2 < 1)) table.fail("adam_beta2", "must be in [0, 1)");
  table.check_range("adam_epsilon", args.adam_epsilon, 0, 1);
  table.check_range("max_grad_norm", args.max_grad_norm, 0, 1e12);
  table.check_range("lr_scheduler_kwargs.num_cycles", args.cosine_num_cycles, 0, kMaxEpochs);
  if (args.inverse_sqrt_timescale) {
    table.check_int_range("lr_scheduler_kwargs.timescale", *args.inverse_sqrt_timescale, 1,
                          kMaxSteps);
  }
  check_optimizer(table, args.optim);
  if (!schedule_type_from_name(args.lr_scheduler_type)) {
    const auto& names = TrainingArguments::scheduler_names();
    std::string message =
        "\"" + args.lr_scheduler_type + "\" is not a supported schedule; supported: " + join(names);
    if (auto nearest = nearest_name(args.lr_scheduler_type, names)) {
      message += "; did you mean \"" + *nearest + "\"?";
    }
    table.fail("lr_scheduler_type", message);
  }
  table.check_int_range("warmup_steps", args.warmup_steps, 0, kMaxSteps);
  if (!(args.warmup_ratio >= 0 && args.warmup_ratio <= 1))
    table.fail("warmup_ratio", "must be in [0, 1]");
  if (args.warmup_steps > 0 && args.warmup_ratio > 0) {
    logger()->info("{}: both warmup_ratio and warmup_steps are given; warmup_steps wins (as in HF)",
                   table.location("warmup_steps").str());
  }
  // Read whatever the strategies: the plan turns them into step counts.
  for (const auto& [key, value] :
       {std::pair<const char*, double>{"logging_steps", args.logging_steps},
        {"save_steps", args.save_steps},
        {"eval_steps", args.eval_steps.value_or(0)}}) {
    table.check_range(key, value, 0, static_cast<double>(kMaxSteps));
  }
  if (args.logging_strategy == Interval::steps)
    check_interval_steps(table, "logging_steps", args.logging_steps);
  if (args.eval_strategy == Interval::steps) {
    if (!args.eval_steps || *args.eval_steps == 0) {
      // HF: eval_steps defaults to logging_steps.
      if (!(args.logging_steps > 0)) {
        table.fail("eval_steps",
                   "is needed when eval_strategy is \"steps\" and logging_steps is 0");
      }
      args.eval_steps = args.logging_steps;
      table.record("eval_steps", ConfigValue::floating(args.logging_steps));
    }
    check_interval_steps(table, "eval_steps", *args.eval_steps);
  }
  table.check_range("eval_delay", args.eval_delay, 0, static_cast<double>(kMaxSteps));
  if (args.save_strategy == Interval::steps)
    check_interval_steps(table, "save_steps", args.save_steps);
  if (args.metric_for_best_model && args.metric_for_best_model->empty()) {
    table.fail("metric_for_best_model", "must name an evaluation metric (e.g. \"loss\")");
  }
  if (args.save_strategy == Interval::best) {
    if (!args.metric_for_best_model) {
      table.fail("save_strategy", "\"best\" needs metric_for_best_model (e.g. \"loss\")");
    }
    if (args.eval_strategy == Interval::no) {
      table.fail("save_strategy", "\"best\" saves after evaluations, but eval_strategy is \"no\"");
    }
  }
  if (args.load_best_model_at_end) check_load_best_model(table, args);
  if (args.metric_for_best_model && !args.greater_is_better) {
    const std::string& metric = *args.metric_for_best_model;
    args.greater_is_better =
        !(metric.size() >= 4 && metric.compare(metric.size() - 4, 4, "loss") == 0);
  }
  if (!args.bf16) args.bf16 = !args.fp16;  // TRL: bf16 unless fp16
  table.record("bf16", ConfigValue::boolean(*args.bf16));
  if (*args.bf16 && args.fp16) table.fail("fp16", "and bf16 are both true; choose one");
  if (args.fp16) {
    logger()->warn(
        "{}: fp16 trains float16 weights (float32 masters in the optimizer) without loss scaling, "
        "so "
        "small gradients can underflow to zero; prefer bf16 where the hardware has it",
        table.location("fp16").str());
  }
  if (args.threads < 0) table.fail("threads", "must be 0 (every core) or positive");
  if (args.threads > TrainingArguments::max_threads()) {
    table.fail("threads", "is " + std::to_string(args.threads) + ", but this machine has " +
                              std::to_string(TrainingArguments::usable_cores()) +
                              " usable cores and at most 4 threads per core (" +
                              std::to_string(TrainingArguments::max_threads()) +
                              ") are accepted; 0 uses every core");
  }
  if (!args.ddp_backend.empty() && args.ddp_backend != "gloo" && args.ddp_backend != "nccl") {
    table.fail("ddp_backend", "is \"" + args.ddp_backend +
                                  "\"; wizard's process groups are \"gloo\" and \"nccl\"");
  }
  table.check_int_range("ddp_timeout", args.ddp_timeout, 1, 7 * 24 * 3600);
  table.check_int_range("ddp_bucket_cap_mb", args.ddp_bucket_cap_mb, 1, 1 << 20);
  // numpy's seeds (and so HF's set_seed) are 32-bit.
  table.check_int_range("seed", args.seed, 0, 4294967295);
  if (args.data_seed) table.check_int_range("data_seed", *args.data_seed, 0, 4294967295);
  if (args.run_name.empty()) args.run_name = args.output_dir.string();
  check_report_to(table, args);
}

}  // namespace

TrainingArguments TrainingArguments::from_config(const Config& table,
                                                 const TrainingArguments& defaults) {
  TrainingArguments args = defaults;
  for (const Field& field : fields()) field.read(table, args);
  detail::check_compat_options(table);
  check_values(table, args);
  return args;
}

TrainingArguments TrainingArguments::from_config(const Config& table) {
  return from_config(table, TrainingArguments());
}

TrainingArguments TrainingArguments::parse(const Config& table, const TrainingArguments& defaults) {
  table.check_keys(docs(defaults));
  return from_config(table, defaults);
}

TrainingArguments TrainingArguments::parse(const Config& table) {
  return parse(table, TrainingArguments());
}

OptionDocs TrainingArguments::docs() {
  return docs(TrainingArguments());
}

OptionDocs TrainingArguments::docs(const TrainingArguments& defaults) {
  OptionDocs docs;
  for (const Field& field : fields()) {
    docs.push_back({field.name, field.type, field.default_text(defaults), field.help});
  }
  const OptionDocs compat = detail::compat_option_docs();
  docs.insert(docs.end(), compat.begin(), compat.end());
  return docs;
}

int TrainingArguments::optimizer_state_bits() const {
  return optim.find("8bit") != std::string::npos ? 8 : 32;
}

const std::vector<std::string>& TrainingArguments::optimizer_names() {
  static const std::vector<std::string> names = {"adamw_torch",      "adamw_torch_fused",
                                                 "adamw_bnb_8bit",   "adamw_8bit",
                                                 "paged_adamw_8bit", "paged_adamw_32bit"};
  return names;
}

const std::vector<std::string>& TrainingArguments::scheduler_names() {
  return schedule_type_names();
}

std::string TrainingArguments::parameter_dtype_name() const {
  if (use_bf16()) return "bfloat16";
  return fp16 ? "float16" : "float32";
}

int64_t TrainingArguments::warmup_steps_for(int64_t total_steps) const {
  if (warmup_steps > 0) return warmup_steps;
  return static_cast<int64_t>(std::ceil(static_cast<double>(total_steps) * warmup_ratio));
}

std::optional<fs::path> TrainingArguments::checkpoint_to_resume() const {
  if (!resume_from_checkpoint.empty()) return resume_from_checkpoint;
  if (!resume_from_latest_checkpoint) return std::nullopt;
  if (auto latest = latest_checkpoint(output_dir)) return latest;
  // A run killed before its first checkpoint: resuming it is starting it.
  logger()->warn(
      "resume_from_checkpoint = {}: {} holds no checkpoint yet (the earlier run stopped before "
      "its first save); starting from the beginning",
      resume_skips_damaged ? "\"auto\"" : "true", output_dir.string());
  return std::nullopt;
}

void TrainingArguments::check_output_dir() const {
  std::error_code error;
  if (fs::exists(output_dir, error) && !fs::is_directory(output_dir, error)) {
    throw ConfigError("output_dir " + output_dir.string() + " exists and is not a folder");
  }
  if (overwrite_output_dir || resume_requested()) return;
  if (!fs::is_directory(output_dir, error)) return;
  const auto checkpoints = list_checkpoints(output_dir);
  if (!checkpoints.empty()) {
    throw ConfigError(output_dir.string() + " already holds checkpoints (" +
                      checkpoints.back().filename().string() +
                      ", ...) from an earlier run. Set training_args_spec.resume_from_checkpoint "
                      "= true to continue it, overwrite_output_dir = true to start over (deleting "
                      "them), or choose another output_dir");
  }
  for (fs::directory_iterator it(output_dir, error), end; !error && it != end;
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    // The host's run files, and derived data the recipe prepares before training starts
    // (cache/: the reference model's precomputed log-probs, paraphrases; mined hard negatives,
    // mined_negatives*.jsonl) are not an earlier run.
    if (name == "resolved_config.toml" || name == "wizard.log" || name == "cache" ||
        name.rfind("mined_negatives", 0) == 0 || name[0] == '.') {
      continue;
    }
    throw ConfigError("output_dir " + output_dir.string() + " already holds an earlier run (" +
                      name +
                      "); choose another output_dir, set overwrite_output_dir = true to write "
                      "over it, or resume_from_checkpoint = true to continue it");
  }
}

int64_t TrainingArguments::usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  const int64_t count = ::sched_getaffinity(0, sizeof(set), &set) == 0
                            ? CPU_COUNT(&set)
                            : static_cast<int64_t>(std::thread::hardware_concurrency());
  return std::max<int64_t>(count, 1);
}

int64_t TrainingArguments::max_threads() {
  return 4 * usable_cores();
}

int64_t TrainingArguments::apply_threads() const {
  // The ranks of a data-parallel run on one machine share its cores.
  const int64_t ranks_here = distributed::LaunchEnvironment::current().local_world_size;
  const int64_t count =
      threads == 0 ? std::max<int64_t>(usable_cores() / std::max<int64_t>(ranks_here, 1), 1)
                   : threads;
  at::set_num_threads(static_cast<int>(count));
  return count;
}

nlohmann::json TrainingArguments::to_json() const {
  auto optional_json = [](const auto& value) {
    return value ? nlohmann::json(*value) : nlohmann::json();
  };
  nlohmann::json json = {
      {"output_dir", output_dir.string()},
      {"overwrite_output_dir", overwrite_output_dir},
      {"run_name", run_name},
      {"num_train_epochs", num_train_epochs},
      {"max_steps", max_steps},
      {"per_device_train_batch_size", per_device_train_batch_size},
      {"per_device_eval_batch_size", per_device_eval_batch_size},
      {"gradient_accumulation_steps", gradient_accumulation_steps},
      {"dataloader_drop_last", dataloader_drop_last},
      {"optim", optim},
      {"learning_rate", learning_rate},
      {"weight_decay", weight_decay},
      {"adam_beta1", adam_beta1},
      {"adam_beta2", adam_beta2},
      {"adam_epsilon", adam_epsilon},
      {"max_grad_norm", max_grad_norm},
      {"lr_scheduler_type", lr_scheduler_type},
      {"lr_scheduler_kwargs",
       {{"num_cycles", cosine_num_cycles}, {"timescale", optional_json(inverse_sqrt_timescale)}}},
      {"warmup_steps", warmup_steps},
      {"warmup_ratio", warmup_ratio},
      {"logging_strategy", interval_name(logging_strategy)},
      {"logging_steps", logging_steps},
      {"logging_first_step", logging_first_step},
      {"disable_tqdm", disable_tqdm},
      {"report_to", report_to.empty() ? std::vector<std::string>{"none"} : report_to},
      {"logging_dir", logging_dir.string()},
      {"eval_strategy", interval_name(eval_strategy)},
      {"eval_steps", optional_json(eval_steps)},
      {"eval_delay", eval_delay},
      {"eval_on_start", eval_on_start},
      {"metric_for_best_model", optional_json(metric_for_best_model)},
      {"greater_is_better", optional_json(greater_is_better)},
      {"load_best_model_at_end", load_best_model_at_end},
      {"save_strategy", interval_name(save_strategy)},
      {"save_steps", save_steps},
      {"save_total_limit", optional_json(save_total_limit)},
      {"save_only_model", save_only_model},
      {"ignore_data_skip", ignore_data_skip},
      {"save_on_interrupt", save_on_interrupt},
      {"bf16", use_bf16()},
      {"fp16", fp16},
      {"gradient_checkpointing", gradient_checkpointing},
      {"disable_dropout", disable_dropout},
      {"seed", seed},
      {"data_seed", optional_json(data_seed)},
      {"threads", threads},
      {"use_cpu", use_cpu},
      {"ddp_backend", ddp_backend.empty() ? nlohmann::json() : nlohmann::json(ddp_backend)},
      {"ddp_timeout", ddp_timeout},
      {"ddp_bucket_cap_mb", ddp_bucket_cap_mb},
      {"optimizer_sharding", optimizer_sharding},
  };
  json["resume_from_checkpoint"] = resume_skips_damaged            ? nlohmann::json("auto")
                                   : resume_from_latest_checkpoint ? nlohmann::json(true)
                                   : resume_from_checkpoint.empty()
                                       ? nlohmann::json()
                                       : nlohmann::json(resume_from_checkpoint.string());
  return json;
}

}  // namespace wizard::train
