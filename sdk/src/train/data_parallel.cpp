#include "train/data_parallel.hpp"

#include <algorithm>
#include <chrono>

#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"
#include "wizard/distributed/batch_split.hpp"

namespace wizard::train::detail {

std::unique_ptr<DataParallel> DataParallel::join(const TrainingArguments& args,
                                                 const NamedParameters& parameters) {
  const auto& environment = distributed::LaunchEnvironment::current();
  if (!environment.distributed()) return nullptr;
  distributed::GroupOptions options;
  options.device = parameters.front().second.device();
  options.timeout = std::chrono::seconds(args.ddp_timeout);
  options.backend = args.ddp_backend;
  auto group = distributed::ProcessGroup::connect(environment, options);
  return std::unique_ptr<DataParallel>(
      new DataParallel(std::move(group), args.ddp_bucket_cap_mb * 1024 * 1024));
}

DataParallel::DataParallel(std::shared_ptr<distributed::ProcessGroup> group, int64_t bucket_bytes)
    : group_(std::move(group)), bucket_bytes_(bucket_bytes) {}

std::string DataParallel::describe() const {
  return std::to_string(size()) + " ranks over " + group_->backend();
}

MicroBatch DataParallel::share(const MicroBatch& batch, const TrainingTask& task) const {
  std::vector<int64_t> tokens;
  if (task.example_tokens) {
    tokens.reserve(batch.size());
    for (const int64_t example : batch) tokens.push_back(task.example_tokens(example));
  }
  return distributed::split_batch(batch, tokens, size())[static_cast<std::size_t>(rank())];
}

double DataParallel::loss_weight(const MicroBatch& share, const MicroBatch& batch) const {
  return static_cast<double>(share.size()) * static_cast<double>(size()) /
         static_cast<double>(batch.size());
}

void DataParallel::attach(AdamW& optimizer) {
  distributed::GradientAccess access;
  for (const auto& entry : optimizer.parameters()) access.parameters.push_back(entry.second);
  access.local_gradient = [&optimizer](std::size_t i) { return optimizer.gradient_sum(i); };
  access.set_gradient = [&optimizer](std::size_t i, const at::Tensor& gradient) {
    optimizer.set_gradient_sum(i, gradient);
  };
  reducer_ =
      std::make_unique<distributed::GradientReducer>(group_, std::move(access), bucket_bytes_);
  logger()->info("data parallel: {}, {} gradient bucket(s), {:.1f} MB all-reduced per step",
                 describe(), reducer_->buckets().size(),
                 static_cast<double>(reducer_->bytes_per_step()) / 1e6);
}

void DataParallel::finish() {
  reducer_->finish();
  if (overlap_reported_) return;
  overlap_reported_ = true;
  logger()->info("data parallel: {} of {} gradient bucket(s) were sent during the backward pass",
                 reducer_->launched_during_backward(), reducer_->buckets().size());
}

StepSums DataParallel::reduce(const StepSums& local) {
  std::vector<std::string> names;
  for (const auto& entry : local.metrics) names.push_back(entry.first);
  if (metric_names_.empty()) {
    // The recipe's metric names, as rank 0 has them; every rank must report the same.
    const std::string agreed = group_->broadcast_text(wizard::join(names, "\n"), 0);
    std::size_t start = 0;
    while (start < agreed.size()) {
      const std::size_t end = std::min(agreed.find('\n', start), agreed.size());
      metric_names_.push_back(agreed.substr(start, end - start));
      start = end + 1;
    }
  }
  for (const auto& name : names) {
    if (std::find(metric_names_.begin(), metric_names_.end(), name) == metric_names_.end()) {
      throw Error("data parallel: rank " + std::to_string(rank()) + " computed the metric '" +
                  name + "', which rank 0 did not (it has: " + wizard::join(metric_names_) +
                  "); the recipe must report the same metrics for every micro-batch");
    }
  }
  std::vector<double> values = {local.loss, static_cast<double>(local.tokens),
                                static_cast<double>(local.samples)};
  for (const auto& name : metric_names_) {
    const auto it = local.metrics.find(name);
    values.push_back(it == local.metrics.end() ? 0.0 : it->second);
  }
  values = group_->all_reduce(std::move(values), distributed::Reduction::sum);
  StepSums total;
  total.loss = values[0];
  total.tokens = static_cast<int64_t>(values[1]);
  total.samples = static_cast<int64_t>(values[2]);
  total.micro_batches = local.micro_batches;
  for (std::size_t i = 0; i < metric_names_.size(); ++i)
    total.metrics[metric_names_[i]] = values[3 + i];
  return total;
}

int DataParallel::agree_on_stop(int local_signal) {
  const auto values =
      group_->all_reduce({static_cast<double>(local_signal)}, distributed::Reduction::max);
  return static_cast<int>(values[0]);
}

nlohmann::json DataParallel::broadcast(const nlohmann::json& value) {
  return nlohmann::json::parse(group_->broadcast_text(is_main() ? value.dump() : "", 0));
}

std::vector<safetensors::NamedTensors> DataParallel::gather(
    const safetensors::NamedTensors& tensors) {
  std::vector<safetensors::NamedTensors> out(static_cast<std::size_t>(size()));
  for (const auto& [name, tensor] : tensors) {
    const std::vector<at::Tensor> all = group_->all_gather(tensor);
    for (std::size_t r = 0; r < all.size(); ++r) out[r].emplace_back(name, all[r]);
  }
  return out;
}

}  // namespace wizard::train::detail
