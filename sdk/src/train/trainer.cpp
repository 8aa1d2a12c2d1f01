// The training loop: HF Trainer._inner_training_loop's order of events, TRL's metric averaging.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "train/trainer_impl.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/run_folder_lock.hpp"
#include "wizard/base/stop_request.hpp"
#include "wizard/train/checkpoint.hpp"

namespace wizard::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string format_number(double value) {
  std::ostringstream out;
  out.precision(4);
  out << value;
  return out.str();
}

}  // namespace

Trainer::Impl::Impl(TrainingArguments arguments, TrainingTask training_task)
    : args(std::move(arguments)), task(std::move(training_task)) {}

Trainer::Trainer(TrainingArguments args, TrainingTask task)
    : impl_(std::make_unique<Impl>(std::move(args), std::move(task))) {
  impl_->check_task();
}

Trainer::~Trainer() = default;

TrainResult Trainer::train() {
  return impl_->train();
}
const TrainingArguments& Trainer::args() const {
  return impl_->args;
}
const TrainingPlan& Trainer::plan() const {
  return impl_->plan;
}

const AdamW* Trainer::optimizer() const {
  return impl_->optimizer.get();
}

void Trainer::Impl::check_task() const {
  auto missing = [](const std::string& what) {
    throw Error("the recipe gave the trainer no " + what + " (a bug in the recipe)");
  };
  if (task.parameters.empty()) missing("trainable parameters");
  if (!task.micro_batches) missing("micro_batches function");
  if (!task.compute) missing("compute function");
  if (!task.save_model && (args.save_strategy != Interval::no || task.save_final_model)) {
    missing("save_model function");
  }
  if (!task.evaluate && task.evaluate_after_first_step) {
    throw ConfigError(
        "callbacks_spec.evaluate_first_step = true needs an evaluation set, but this run has none; "
        "set a validation set or evaluate_first_step = false");
  }
  if (!task.evaluate && (args.eval_strategy != Interval::no || args.eval_on_start)) {
    throw ConfigError("training_args_spec.eval_strategy = \"" + interval_name(args.eval_strategy) +
                      "\"" + (args.eval_on_start ? " (with eval_on_start)" : "") +
                      " needs an evaluation set, but this run has none; set a validation set or "
                      "eval_strategy = \"no\"");
  }
}

TrainResult Trainer::Impl::train() {
  const auto start = Clock::now();
  // A data-parallel run joins its ranks first (the one place that blocks until all are up).
  dp = detail::DataParallel::join(args, task.parameters);
  if (!dp) return run(start);
  try {
    return run(start);
  } catch (const Interrupted&) {
    throw;  // every rank stops together
  } catch (const std::exception& error) {
    dp->report_failure(error_text(error));  // the others name this rank when they fail
    throw;
  }
}

TrainResult Trainer::Impl::run(Clock::time_point start) {
  // No other process may write this folder while the run lives (the host may hold it already).
  RunFolderLock folder_lock;
  if (main_rank()) folder_lock = RunFolderLock::acquire(args.output_dir);
  const StopOnSignals stop_on_signals;
  clear_stop_request();
  const int64_t threads = args.apply_threads();
  if (main_rank()) prepare_output_dir();
  if (dp) dp->barrier();  // rank 0 may have removed old checkpoints (overwrite_output_dir)
  const std::optional<std::filesystem::path> checkpoint = choose_checkpoint();

  const std::vector<MicroBatch> first_epoch = task.micro_batches(0);
  plan = TrainingPlan::make(args, static_cast<int64_t>(first_epoch.size()));
  schedule.type = *schedule_type_from_name(args.lr_scheduler_type);
  schedule.warmup_steps = plan.warmup_steps;
  schedule.training_steps = plan.max_steps;
  schedule.num_cycles = args.cosine_num_cycles;
  schedule.timescale = args.inverse_sqrt_timescale;
  if (!dp && args.optimizer_sharding) {
    logger()->info(
        "optimizer_sharding = true in a single process: nothing to share, the optimizer keeps "
        "the whole state (it takes effect with 2 or more ranks)");
  }
  optimizer =
      std::make_unique<AdamW>(dp ? dp->optimizer_parameters() : task.parameters,
                              AdamWOptions{args.adam_beta1, args.adam_beta2, args.adam_epsilon,
                                           args.weight_decay, args.optimizer_state_bits()},
                              task.optimizer_kernel);
  if (dp) dp->attach(*optimizer);
  if (main_rank()) metrics = std::make_unique<MetricsLog>(args.output_dir / "metrics.jsonl");

  if (checkpoint) {
    resume(*checkpoint);
  } else {
    at::manual_seed(static_cast<uint64_t>(args.seed));
    if (metrics) metrics->restart({});
  }
  nlohmann::json params = args.to_json();
  if (task.run_params.is_object()) params.update(task.run_params);
  if (main_rank()) sinks = make_metrics_sinks(args, params);
  for (auto& sink : sinks) sink->start(state.log_history);

  int64_t trainable = 0;
  for (const auto& entry : task.parameters) trainable += entry.second.numel();
  std::size_t largest_batch = 0;
  for (const auto& batch : first_epoch) largest_batch = std::max(largest_batch, batch.size());
  logger()->info(
      "training {}: {} micro-batches per epoch (up to {} examples each), {} epoch(s), {} optimizer "
      "steps "
      "(gradient accumulation {}), {} trainable parameters, {} threads",
      args.run_name.empty() ? args.output_dir.string() : args.run_name,
      plan.micro_batches_per_epoch, largest_batch, plan.num_epochs, plan.max_steps,
      args.gradient_accumulation_steps, trainable, threads);
  if (dp) {
    logger()->info(
        "data parallel: {}; each micro-batch is shared among them (global batch {} = "
        "per_device_train_batch_size x {} ranks, x gradient_accumulation_steps {} per step)",
        dp->describe(), largest_batch, dp->size(), args.gradient_accumulation_steps);
  }

  const ProgressDisplay::Mode mode =
      args.disable_tqdm || !main_rank() ? ProgressDisplay::Mode::off : task.progress;
  progress = std::make_unique<ProgressDisplay>(plan.max_steps, state.global_step, mode);
  const int64_t first_step = state.global_step;
  const int64_t first_samples = state.total_samples;
  const int64_t first_tokens = state.total_tokens;

  if (args.eval_on_start && !resumed) evaluate();
  bool stop = state.global_step >= plan.max_steps;
  for (int64_t epoch = state.epoch_index; epoch < plan.num_epochs && !stop; ++epoch) {
    const std::vector<MicroBatch> batches = epoch == 0 ? first_epoch : task.micro_batches(epoch);
    if (batches.empty())
      throw Error("the training set yields no micro-batches in epoch " + std::to_string(epoch));
    if (static_cast<int64_t>(batches.size()) != plan.micro_batches_per_epoch) {
      logger()->warn(
          "epoch {} has {} micro-batches, epoch 0 had {}; the step count was planned from epoch 0",
          epoch, batches.size(), plan.micro_batches_per_epoch);
    }
    int64_t first = epoch == state.epoch_index ? state.next_micro_batch : 0;
    if (resumed && args.ignore_data_skip && first < static_cast<int64_t>(batches.size())) first = 0;
    run_epoch(epoch, batches, first, stop);
  }
  return finish(start, first_step, first_samples, first_tokens);
}

void Trainer::Impl::run_epoch(int64_t epoch, const std::vector<MicroBatch>& batches, int64_t start,
                              bool& stop) {
  const int64_t size = static_cast<int64_t>(batches.size());
  const int64_t accumulation = args.gradient_accumulation_steps;
  double step_loss = 0;   // this step's loss so far (the progress display shows it)
  StepTimes times;        // this step's so far
  detail::StepSums sums;  // this step's so far on this rank (data parallel)
  for (int64_t i = start; i < size && !stop; ++i) {
    const auto began = Clock::now();
    const bool window_complete = (i + 1) % accumulation == 0 || i + 1 == size;
    micro_step(epoch, i, batches[static_cast<std::size_t>(i)], window_complete, sums, step_loss,
               times);
    if (!window_complete) {
      const auto accumulating = Clock::now();
      optimizer->accumulate_gradients();
      if (dp) dp->accumulate_gradients();  // sharded: the other owners' parameters
      times.backward += seconds_since(accumulating);
      state.window.seconds += seconds_since(began);
      continue;
    }
    if (dp) {
      const auto reducing = Clock::now();
      dp->finish();  // the averaged gradients, from the all-reduces started during backward
      times.backward += seconds_since(reducing);
      const detail::StepSums total = dp->reduce(sums);
      state.window.add_sums(total.loss, total.metrics, total.micro_batches, total.tokens);
      state.total_tokens += total.tokens;
      state.total_samples += total.samples;
      step_loss = total.loss;
      sums = detail::StepSums();
    }
    const auto backward_done = Clock::now();
    optimizer_step(epoch, i);
    times.optimizer = seconds_since(backward_done);
    state.window.seconds += seconds_since(began);
    state.global_step += 1;
    state.epoch =
        static_cast<double>(epoch) + static_cast<double>(i + 1) / static_cast<double>(size);
    state.epoch_index = epoch;
    state.next_micro_batch = i + 1;
    times.global_step = state.global_step;
    if (task.after_step) task.after_step(times);
    times = StepTimes{};
    progress->update(state.global_step, "loss " + format_number(step_loss));
    step_loss = 0;
    const bool training_done = state.global_step >= plan.max_steps;
    end_of_step(training_done);
    stop = training_done;
    if (!training_done) {
      if (const int signal = stop_signal()) interrupt(signal);
    }
  }
  end_of_epoch(epoch);
}

void Trainer::Impl::micro_step(int64_t epoch, int64_t index, const MicroBatch& batch,
                               bool last_of_window, detail::StepSums& sums, double& step_loss,
                               StepTimes& times) {
  const auto began = Clock::now();
  const MicroBatch share = dp ? dp->share(batch, task) : MicroBatch();
  const MicroBatch& examples = dp ? share : batch;
  // The gradient hooks send buckets during the window's last backward pass.
  if (dp && last_of_window) dp->arm();
  if (dp) sums.micro_batches += 1;
  if (examples.empty()) return;  // a short last batch leaves this rank nothing: zeros
  StepResult result = task.compute(examples);
  if (!result.loss.defined() || result.loss.numel() != 1 || !result.loss.requires_grad()) {
    throw Error("compute() returned no scalar loss with a graph for micro-batch " +
                std::to_string(index) + " of epoch " + std::to_string(epoch) +
                " (a bug in the recipe)");
  }
  // HF: the loss of each micro-batch is divided by the accumulation steps before backward.
  const int64_t accumulation = args.gradient_accumulation_steps;
  const at::Tensor scaled = result.loss.reshape({}) / static_cast<double>(accumulation);
  const double scaled_value = scaled.item<double>();
  if (!std::isfinite(scaled_value))
    stop_non_finite("loss", scaled_value * static_cast<double>(accumulation), epoch, index);
  for (const auto& [name, value] : result.metrics) {
    if (!std::isfinite(value)) stop_non_finite(name, value, epoch, index);
  }
  const auto computed = Clock::now();
  times.forward += std::chrono::duration<double>(computed - began).count();
  if (!dp) {
    scaled.backward();
    times.backward += seconds_since(computed);
    state.window.add(scaled_value, result.metrics, result.num_tokens);
    step_loss += scaled_value;
    state.total_tokens += result.num_tokens;
    state.total_samples += static_cast<int64_t>(batch.size());
    return;
  }
  // This rank's share of the whole micro-batch's mean loss (and of its metrics, as TRL's
  // gather-then-average gives them).
  (scaled * dp->loss_weight(share, batch)).backward();
  times.backward += seconds_since(computed);
  const double fraction = static_cast<double>(share.size()) / static_cast<double>(batch.size());
  sums.loss += scaled_value * fraction;
  for (const auto& [name, value] : result.metrics) sums.metrics[name] += value * fraction;
  sums.tokens += result.num_tokens;
  sums.samples += static_cast<int64_t>(share.size());
}

int Trainer::Impl::stop_signal() const {
  return dp ? dp->agree_on_stop(stop_requested()) : stop_requested();
}

void Trainer::Impl::interrupt(int signal) {
  progress->finish();
  std::ostringstream message;
  message << "training stopped by " << signal_name(signal) << " after step " << state.global_step
          << " of " << plan.max_steps << " (epoch " << format_number(state.epoch) << "); ";
  if (args.save_on_interrupt) {
    if (last_saved_step != state.global_step) save_checkpoint();
    message << "saved " << last_checkpoint->string();
    if (args.save_only_model) {
      message << " (save_only_model = true: it holds the model only, so the run cannot be "
                 "resumed from it)";
    }
  } else if (last_checkpoint) {
    message << "save_on_interrupt = false, so nothing was saved; the newest checkpoint is "
            << last_checkpoint->string();
  } else {
    message << "save_on_interrupt = false and no checkpoint was saved before, so a new run "
               "starts over";
  }
  message << ". To continue, run again with resume_from_checkpoint = true in training_args_spec "
             "(--set training_args_spec.resume_from_checkpoint=true)";
  throw Interrupted(message.str(), signal);
}

void Trainer::Impl::optimizer_step(int64_t epoch, int64_t micro_batch) {
  float coefficient = 1.0f;
  state.last_grad_norm.reset();
  if (args.max_grad_norm > 0) {
    // Sharded: this rank's share of the norm, summed over the owners.
    const double norm =
        dp ? dp->global_norm(optimizer->gradient_norm()) : optimizer->gradient_norm();
    if (!std::isfinite(norm)) stop_non_finite("grad_norm", norm, epoch, micro_batch);
    coefficient = clip_coefficient(norm, args.max_grad_norm);
    state.last_grad_norm = norm;
  }
  // The scheduler has stepped once per optimizer step so far (LambdaLR's last_epoch).
  const double lr = schedule.learning_rate(args.learning_rate, state.global_step);
  optimizer->step(lr, coefficient);
  if (dp) {
    dp->share_parameters();  // sharded: every parameter from its owner
    if (!optimizer_memory_reported) dp->report_optimizer_memory(*optimizer);
  }
  optimizer_memory_reported = true;
  state.last_learning_rate = lr;
}

// DefaultFlowCallback.on_step_end.
void Trainer::Impl::end_of_step(bool training_done) {
  const int64_t step = state.global_step;
  const bool log = (args.logging_first_step && step == 1) ||
                   (args.logging_strategy == Interval::steps && plan.logging_steps > 0 &&
                    step % plan.logging_steps == 0);
  const bool evaluate =
      (args.eval_strategy == Interval::steps && plan.eval_steps > 0 &&
       step % plan.eval_steps == 0 && args.eval_delay <= static_cast<double>(step)) ||
      (task.evaluate_after_first_step && step == 1);
  bool save =
      args.save_strategy == Interval::steps && plan.save_steps > 0 && step % plan.save_steps == 0;
  // HF saves at the last step for "steps" and "epoch"; for "epoch" it saves the same step again
  // at the epoch's end, after that evaluation. Saving only there gives the same final checkpoint
  // with one write.
  if (training_done && args.save_strategy == Interval::steps) save = true;
  log_save_evaluate(log, evaluate, save);
}

// DefaultFlowCallback.on_epoch_end; also after a run stopped part-way through an epoch.
void Trainer::Impl::end_of_epoch(int64_t epoch) {
  state.epoch_index = epoch + 1;
  state.next_micro_batch = 0;
  log_save_evaluate(args.logging_strategy == Interval::epoch,
                    args.eval_strategy == Interval::epoch && args.eval_delay <= state.epoch,
                    args.save_strategy == Interval::epoch);
}

// Trainer._maybe_log_save_evaluate: log, then evaluate, then save.
void Trainer::Impl::log_save_evaluate(bool log, bool evaluate_now, bool save) {
  if (log && state.global_step > state.last_logged_step) log_training();
  if (evaluate_now) {
    const bool new_best = update_best(evaluate());
    if (args.save_strategy == Interval::best) save = new_best;
  }
  if (save && state.global_step != last_saved_step) save_checkpoint();
}

void Trainer::Impl::log_training() {
  const int64_t steps = state.global_step - state.last_logged_step;
  LogEvent event = {{"step", state.global_step}, {"epoch", state.epoch}};
  event["loss"] = state.window.loss_sum / static_cast<double>(steps);
  if (state.last_grad_norm) event["grad_norm"] = *state.last_grad_norm;
  event["learning_rate"] = state.last_learning_rate;
  for (const auto& [name, sum] : state.window.metric_sums) {
    event[name] = sum / static_cast<double>(state.window.metric_counts.at(name));
  }
  if (state.window.seconds > 0) {
    event["tokens_per_second"] = static_cast<double>(state.window.tokens) / state.window.seconds;
  }
  state.total_loss_sum += state.window.loss_sum;
  state.window.clear();
  state.last_logged_step = state.global_step;
  record(event);
}

std::map<std::string, double> Trainer::Impl::evaluate() {
  std::map<std::string, double> metrics_out;
  LogEvent event = {{"step", state.global_step}, {"epoch", state.epoch}};
  // Rank 0 evaluates the whole set; the others wait for its results (best-model decisions
  // must agree everywhere).
  if (main_rank()) {
    const auto began = Clock::now();
    EvalResult result;
    {
      at::NoGradGuard no_grad;
      result = task.evaluate();
    }
    const double runtime = seconds_since(began);
    for (const auto& [name, value] : result.metrics) {
      const std::string key = name.rfind("eval_", 0) == 0 ? name : "eval_" + name;
      metrics_out[key] = value;
      if (!std::isfinite(value))
        logger()->warn("evaluation at step {}: {} is {}", state.global_step, key, value);
    }
    for (const auto& [key, value] : metrics_out) event[key] = value;
    event["eval_runtime"] = runtime;
    if (runtime > 0 && result.num_samples > 0) {
      event["eval_samples_per_second"] = static_cast<double>(result.num_samples) / runtime;
    }
    if (runtime > 0 && result.num_batches > 0) {
      event["eval_steps_per_second"] = static_cast<double>(result.num_batches) / runtime;
    }
  }
  if (dp) {
    const nlohmann::json shared =
        dp->broadcast(nlohmann::json{{"event", event}, {"metrics", metrics_out}});
    event = shared.at("event");
    metrics_out = shared.at("metrics").get<std::map<std::string, double>>();
  }
  record(event);
  return metrics_out;
}

// Trainer._determine_best_metric.
bool Trainer::Impl::update_best(const std::map<std::string, double>& results) {
  if (!args.metric_for_best_model) return false;
  std::string name = *args.metric_for_best_model;
  if (name.rfind("eval_", 0) != 0) name = "eval_" + name;
  const auto it = results.find(name);
  if (it == results.end()) {
    std::string available;
    for (const auto& entry : results) available += (available.empty() ? "" : ", ") + entry.first;
    throw ConfigError("training_args_spec.metric_for_best_model = \"" +
                      *args.metric_for_best_model + "\": the evaluation returned no " + name +
                      "; it returned: " + available);
  }
  const double value = it->second;
  const bool better =
      !state.best_metric || (args.greater_is_better.value_or(false) ? value > *state.best_metric
                                                                    : value < *state.best_metric);
  if (better) {
    state.best_metric = value;
    state.best_global_step = state.global_step;
  }
  return better;
}

void Trainer::Impl::record(const LogEvent& event) {
  state.log_history.push_back(event);
  if (!main_rank()) return;
  metrics->append(event);
  for (auto& sink : sinks) sink->write(event);
  progress->print_above([&] { logger()->info("{}", describe_log_event(event)); });
}

void Trainer::Impl::stop_non_finite(const std::string& what, double value, int64_t epoch,
                                    int64_t micro_batch) {
  if (progress) progress->finish();
  std::ostringstream message;
  message << "training stopped: " << what << " is " << value << " at step " << state.global_step + 1
          << " of " << plan.max_steps << " (epoch " << epoch << ", micro-batch " << micro_batch
          << " of the epoch); no update was applied and nothing was saved after it. ";
  if (last_checkpoint) {
    message << "The last good checkpoint is " << last_checkpoint->string()
            << " (resume_from_checkpoint = true continues from it). ";
  } else {
    message << "No checkpoint was saved before it. ";
  }
  message
      << "Try a lower learning_rate or max_grad_norm, check that micro-batch's data, or use bf16 "
         "instead of fp16.";
  throw Error(message.str());
}

TrainResult Trainer::Impl::finish(Clock::time_point start, int64_t first_step,
                                  int64_t first_samples, int64_t first_tokens) {
  progress->finish();
  const double runtime = seconds_since(start);
  TrainResult result;
  result.global_step = state.global_step;
  result.epoch = state.epoch;
  const double total_loss = state.total_loss_sum + state.window.loss_sum;
  result.train_loss =
      state.global_step > 0 ? total_loss / static_cast<double>(state.global_step) : 0.0;
  result.metrics["train_runtime"] = runtime;
  if (runtime > 0) {
    result.metrics["train_samples_per_second"] =
        static_cast<double>(state.total_samples - first_samples) / runtime;
    result.metrics["train_steps_per_second"] =
        static_cast<double>(state.global_step - first_step) / runtime;
    result.metrics["train_tokens_per_second"] =
        static_cast<double>(state.total_tokens - first_tokens) / runtime;
  }
  result.metrics["train_loss"] = result.train_loss;
  LogEvent event = {{"step", state.global_step}, {"epoch", state.epoch}};
  for (const auto& [key, value] : result.metrics) event[key] = value;
  record(event);
  if (args.load_best_model_at_end) load_best_model();
  if (main_rank()) save_final_model();
  if (dp) dp->barrier();  // no rank exits before the final model is written
  for (auto& sink : sinks) sink->finish();
  result.last_checkpoint = last_checkpoint;
  return result;
}

}  // namespace wizard::train
