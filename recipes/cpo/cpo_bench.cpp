#include "cpo_bench.hpp"

#include <sys/resource.h>

#include <chrono>
#include <optional>
#include <set>
#include <sstream>

#include "cpo_training.hpp"
#include "preference_task.hpp"
#include "wizard/preference/scoring_work.hpp"

namespace wizard::cpo {

namespace {

using Clock = std::chrono::steady_clock;

// This process's processor time and page faults so far.
struct Usage {
  double user = 0, system = 0;
  std::int64_t faults = 0;

  static Usage now() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    auto seconds = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6;
    };
    return {seconds(r.ru_utime), seconds(r.ru_stime), static_cast<std::int64_t>(r.ru_minflt)};
  }
};

std::string layout_name(const preference::PairScoringOptions& scoring, std::int64_t k) {
  if (scoring.layout == preference::PairLayout::padded) {
    const std::string prompts =
        k > 1 ? "each negative its own padded pair (prompts " + std::to_string(2 * k) + " times)"
              : "padded batch, prompts twice";
    return prompts +
           (scoring.full_logits ? ", full-vocabulary logits" : ", LM head at scored positions");
  }
  return scoring.share_prefix ? "packed rows, shared prompts, LM head at scored positions"
                              : "packed rows, prompts twice, LM head at scored positions";
}

// Sums the work of one optimizer step's micro-batches; closes the step at after_step.
class StepTimer {
 public:
  StepTimer(const model::ModelConfig& config, std::int64_t warmup)
      : config_(config), warmup_(warmup) {}

  void micro_batch_started() {
    if (last_end_) return;
    last_end_ = Clock::now();  // the first step starts at its first micro-batch
    last_usage_ = Usage::now();
  }
  void scored(const preference::ScoringWork& work, std::int64_t examples) {
    step_.tokens += work.tokens_real;
    step_.examples += examples;
    step_.flops += preference::training_flops(config_, work);
  }
  void step_ended(const train::StepTimes& times) {
    const auto now = Clock::now();
    step_.seconds = std::chrono::duration<double>(now - *last_end_).count();
    step_.forward = times.forward;
    step_.backward = times.backward;
    step_.optimizer = times.optimizer;
    const Usage usage = Usage::now();
    step_.cpu_seconds = usage.user + usage.system - last_usage_.user - last_usage_.system;
    step_.kernel_seconds = usage.system - last_usage_.system;
    step_.page_faults = usage.faults - last_usage_.faults;
    if (times.global_step > warmup_) steps_.push_back(step_);
    step_ = BenchStep{};
    last_end_ = now;
    last_usage_ = usage;
  }
  std::vector<BenchStep> steps() const { return steps_; }

 private:
  const model::ModelConfig& config_;
  std::int64_t warmup_;
  std::optional<Clock::time_point> last_end_;
  Usage last_usage_;
  BenchStep step_;
  std::vector<BenchStep> steps_;
};

// The model's parameters (all, as stored) and what the optimizer holds for the trainable ones.
// Parameters the optimizer updates outside the model (none for cpo) count as weights too.
BenchMemory memory_of(const model::CausalLM& model, const train::AdamW& optimizer) {
  BenchMemory memory;
  std::set<const void*> seen;
  const auto add_weight = [&](const at::Tensor& parameter) {
    if (!seen.insert(parameter.data_ptr()).second) return;  // a tied weight counts once
    memory.parameters += parameter.numel();
    memory.weights += parameter.numel() * static_cast<std::int64_t>(parameter.element_size());
  };
  for (const auto& entry : model.named_parameters()) add_weight(entry.second);
  for (const auto& entry : optimizer.parameters()) {
    add_weight(entry.second);
    memory.trainable_parameters += entry.second.numel();
  }
  const train::AdamW::Memory held = optimizer.memory();
  memory.master_weights = held.masters;
  memory.gradients = held.gradients;
  memory.optimizer_state = held.state;
  return memory;
}

}  // namespace

CpoBench::CpoBench(CpoBenchParts parts, std::filesystem::path scratch_dir)
    : parts_(std::move(parts)), scratch_dir_(std::move(scratch_dir)) {}

preference::PairScoringOptions CpoBench::scoring(BenchMode mode) const {
  preference::PairScoringOptions options = parts_.settings->scoring;
  if (mode == BenchMode::baseline) {
    options.layout = preference::PairLayout::padded;
    options.share_prefix = false;
    options.full_logits = true;
  }
  return options;
}

std::string CpoBench::describe(BenchMode mode) const {
  const auto& args = parts_.settings->args;
  std::ostringstream out;
  const std::int64_t k = parts_.negatives.num_negatives;
  out << layout_name(scoring(mode), k) << "; "
      << (mode == BenchMode::baseline ? std::string("random") : parts_.sampler_name)
      << " sampler, batch size " << args.per_device_train_batch_size;
  if (args.gradient_accumulation_steps > 1)
    out << ", accumulation " << args.gradient_accumulation_steps;
  if (args.gradient_checkpointing) out << ", gradient checkpointing";
  if (k > 1) out << "; up to " << k << " negatives per example";
  return out.str();
}

train::TrainingArguments CpoBench::arguments(BenchMode mode, std::int64_t total_steps) const {
  train::TrainingArguments args = parts_.settings->args;
  const std::string name = mode == BenchMode::baseline ? "baseline" : "standard";
  args.output_dir = scratch_dir_ / name;
  args.run_name = "bench (" + name + ")";
  args.overwrite_output_dir = true;
  args.resume_from_checkpoint.clear();
  args.resume_from_latest_checkpoint = false;
  args.max_steps = total_steps;
  args.logging_strategy = train::Interval::no;
  args.logging_first_step = false;
  args.eval_strategy = train::Interval::no;
  args.eval_on_start = false;
  args.save_strategy = train::Interval::no;
  args.metric_for_best_model.reset();
  args.disable_tqdm = true;
  return args;
}

std::vector<BenchStep> CpoBench::run(BenchMode mode, std::int64_t warmup, std::int64_t steps) {
  const train::TrainingArguments args = arguments(mode, warmup + steps);
  const model::CausalLM& model = *parts_.model;
  StepTimer timer(model.config(), warmup);

  PreferenceTaskParts task_parts;
  task_parts.model = &model;
  task_parts.loss = parts_.loss;
  task_parts.scoring = scoring(mode);
  task_parts.negative_sampler = parts_.negative_sampler;
  task_parts.negatives = parts_.negatives;
  PreferenceTask task(std::move(task_parts), *parts_.pairs);
  std::int64_t examples = 0;  // of the micro-batch being scored
  task.observe_work([&](const preference::ScoringWork& work) { timer.scored(work, examples); });
  train::TrainingTask training =
      training_task(model, task, *parts_.pairs,
                    mode == BenchMode::baseline ? parts_.baseline_sampler : parts_.sampler,
                    parts_.negatives.num_negatives, args);
  training.parameters = trainable_parameters(model, parts_.settings->transformer.adapters);
  training.compute = [&, compute = training.compute](const train::MicroBatch& batch) {
    timer.micro_batch_started();
    examples = static_cast<std::int64_t>(batch.size());
    return compute(batch);
  };
  training.after_step = [&, step = training.after_step](const train::StepTimes& times) {
    step(times);
    timer.step_ended(times);
  };
  training.save_final_model = false;
  training.progress = train::ProgressDisplay::Mode::off;
  train::Trainer trainer(args, std::move(training));
  trainer.train();
  memory_ = memory_of(model, *trainer.optimizer());
  return timer.steps();
}

}  // namespace wizard::cpo
