#include "train/run_state.hpp"

namespace wizard::train::detail {

namespace {

template <class T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

template <class T>
std::optional<T> optional_from(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

}  // namespace

void LogWindow::add(double scaled_loss, const std::map<std::string, double>& metrics,
                    int64_t num_tokens) {
  loss_sum += scaled_loss;
  for (const auto& [name, value] : metrics) {
    metric_sums[name] += value;
    metric_counts[name] += 1;
  }
  tokens += num_tokens;
}

void LogWindow::add_sums(double scaled_loss_sum, const std::map<std::string, double>& sums,
                         int64_t micro_batches, int64_t num_tokens) {
  loss_sum += scaled_loss_sum;
  for (const auto& [name, value] : sums) {
    metric_sums[name] += value;
    metric_counts[name] += micro_batches;
  }
  tokens += num_tokens;
}

nlohmann::json RunState::trainer_state(const TrainingPlan& plan,
                                       const TrainingArguments& args) const {
  return {
      {"best_global_step", or_null(best_global_step)},
      {"best_metric", or_null(best_metric)},
      {"best_model_checkpoint", or_null(best_model_checkpoint)},
      {"epoch", epoch},
      {"eval_steps", plan.eval_steps},
      {"global_step", global_step},
      {"is_hyper_param_search", false},
      {"is_local_process_zero", true},
      {"is_world_process_zero", true},
      {"log_history", log_history},
      {"logging_steps", plan.logging_steps},
      {"max_steps", plan.max_steps},
      {"num_input_tokens_seen", total_tokens},
      {"num_train_epochs", plan.num_epochs},
      {"save_steps", plan.save_steps},
      {"train_batch_size", args.per_device_train_batch_size},
  };
}

nlohmann::json RunState::wizard_state(const TrainingPlan& plan) const {
  return {
      {"format", 1},
      {"epoch_index", epoch_index},
      {"next_micro_batch", next_micro_batch},
      {"micro_batches_per_epoch", plan.micro_batches_per_epoch},
      {"window",
       {{"loss_sum", window.loss_sum},
        {"metric_sums", window.metric_sums},
        {"metric_counts", window.metric_counts},
        {"tokens", window.tokens},
        {"seconds", window.seconds}}},
      {"last_logged_step", last_logged_step},
      {"total_loss_sum", total_loss_sum},
      {"total_tokens", total_tokens},
      {"total_samples", total_samples},
      {"last_grad_norm", or_null(last_grad_norm)},
      {"last_learning_rate", last_learning_rate},
  };
}

void RunState::restore(const nlohmann::json& trainer, const nlohmann::json& wizard) {
  global_step = trainer.at("global_step").get<int64_t>();
  epoch = trainer.at("epoch").get<double>();
  log_history = trainer.at("log_history").get<std::vector<nlohmann::json>>();
  best_metric = optional_from<double>(trainer, "best_metric");
  best_global_step = optional_from<int64_t>(trainer, "best_global_step");
  best_model_checkpoint = optional_from<std::string>(trainer, "best_model_checkpoint");
  epoch_index = wizard.at("epoch_index").get<int64_t>();
  next_micro_batch = wizard.at("next_micro_batch").get<int64_t>();
  const auto& w = wizard.at("window");
  window.loss_sum = w.at("loss_sum").get<double>();
  window.metric_sums = w.at("metric_sums").get<std::map<std::string, double>>();
  window.metric_counts = w.at("metric_counts").get<std::map<std::string, int64_t>>();
  window.tokens = w.at("tokens").get<int64_t>();
  window.seconds = w.at("seconds").get<double>();
  last_logged_step = wizard.at("last_logged_step").get<int64_t>();
  total_loss_sum = wizard.at("total_loss_sum").get<double>();
  total_tokens = wizard.at("total_tokens").get<int64_t>();
  total_samples = wizard.at("total_samples").get<int64_t>();
  last_grad_norm = optional_from<double>(wizard, "last_grad_norm");
  last_learning_rate = wizard.at("last_learning_rate").get<double>();
}

}  // namespace wizard::train::detail
