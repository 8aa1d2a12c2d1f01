#include "train/data_parallel.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <ATen/core/grad_mode.h>

#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"
#include "wizard/distributed/batch_split.hpp"
#include "wizard/distributed/parameter_partition.hpp"

namespace wizard::train::detail {

std::unique_ptr<DataParallel> DataParallel::join(const TrainingArguments& args,
                                                 const NamedParameters& parameters) {
  const auto& environment = distributed::LaunchEnvironment::current();
  if (!environment.distributed()) return nullptr;
  distributed::GroupOptions options;
  options.device = parameters.front().second.device();
  options.timeout = std::chrono::seconds(args.ddp_timeout);
  options.backend = args.ddp_backend;
  // The recipe may have joined already (hard-negative mining before training): the same group.
  auto group = distributed::ProcessGroup::world(options);
  return std::unique_ptr<DataParallel>(new DataParallel(
      std::move(group), args.ddp_bucket_cap_mb * 1024 * 1024, parameters, args.optimizer_sharding));
}

DataParallel::DataParallel(std::shared_ptr<distributed::ProcessGroup> group, int64_t bucket_bytes,
                           NamedParameters parameters, bool sharded)
    : group_(std::move(group)), parameters_(std::move(parameters)), bucket_bytes_(bucket_bytes) {
  if (!sharded) return;
  std::vector<int64_t> numels;
  for (const auto& entry : parameters_) numels.push_back(entry.second.numel());
  owners_ = distributed::partition_parameters(numels, size());
  foreign_sums_.resize(parameters_.size());
  foreign_summed_.assign(parameters_.size(), false);
  // Rank 0 prints (the others log warnings only): every rank's share, from the partition.
  int64_t elements = 0;
  for (const int64_t numel : numels) elements += numel;
  for (int64_t r = 0; r < size(); ++r) {
    int64_t tensors = 0, owned = 0;
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      if (owners_[i] != r) continue;
      tensors += 1;
      owned += numels[i];
    }
    logger()->info(
        "optimizer_sharding: rank {} of {} owns {} of {} parameter tensors ({} of {} elements, "
        "{:.1f}%)",
        r, size(), tensors, parameters_.size(), owned, elements,
        elements > 0 ? 100.0 * static_cast<double>(owned) / static_cast<double>(elements) : 0.0);
  }
  logger()->info(
      "optimizer_sharding: each rank keeps and steps the optimizer state of its own tensors; "
      "gradients are reduced to their owners and updated parameters broadcast from them");
}

NamedParameters DataParallel::optimizer_parameters() const {
  NamedParameters out;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (owns(i)) out.push_back(parameters_[i]);
  }
  return out;
}

double DataParallel::global_norm(double local) {
  if (!sharded()) return local;
  const auto total = group_->all_reduce({local * local}, distributed::Reduction::sum);
  return std::sqrt(total[0]);
}

void DataParallel::share_parameters() {
  if (!sharded()) return;
  at::NoGradGuard no_grad;
  // A tensor of bucket size or more is broadcast in place; smaller ones of one owner and
  // dtype go together through a flat buffer of at most bucket size (few collectives, little
  // extra memory).
  auto send = [&](int64_t owner, std::vector<at::Tensor>& tensors) {
    if (tensors.empty()) return;
    if (tensors.size() == 1 && tensors.front().is_contiguous()) {
      group_->broadcast(tensors.front(), owner);
    } else {
      std::vector<at::Tensor> flat_views;
      for (const auto& tensor : tensors) flat_views.push_back(tensor.reshape({-1}));
      at::Tensor flat = at::cat(flat_views);
      group_->broadcast(flat, owner);
      if (owner != rank()) {
        int64_t offset = 0;
        for (auto& tensor : tensors) {
          tensor.copy_(flat.narrow(0, offset, tensor.numel()).view(tensor.sizes()));
          offset += tensor.numel();
        }
      }
    }
    tensors.clear();
  };
  for (int64_t owner = 0; owner < size(); ++owner) {
    std::map<at::ScalarType, std::pair<std::vector<at::Tensor>, int64_t>> pending;  // + bytes
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      if (owners_[i] != owner) continue;
      const at::Tensor tensor = parameters_[i].second.detach();
      const int64_t bytes = tensor.numel() * static_cast<int64_t>(tensor.element_size());
      if (bytes >= bucket_bytes_) {
        std::vector<at::Tensor> alone = {tensor};
        send(owner, alone);
        continue;
      }
      auto& [tensors, filled] = pending[tensor.scalar_type()];
      if (filled + bytes > bucket_bytes_) {
        send(owner, tensors);
        filled = 0;
      }
      tensors.push_back(tensor);
      filled += bytes;
    }
    for (auto& entry : pending) send(owner, entry.second.first);
  }
}

at::Tensor DataParallel::foreign_gradient(std::size_t i) const {
  at::NoGradGuard no_grad;
  const at::Tensor& grad = parameters_[i].second.grad();
  if (foreign_summed_[i]) return grad.defined() ? foreign_sums_[i] + grad : foreign_sums_[i];
  if (!grad.defined()) return at::Tensor();
  return grad.scalar_type() == at::kFloat ? grad : grad.to(at::kFloat);
}

void DataParallel::accumulate_gradients() {
  if (!sharded()) return;
  at::NoGradGuard no_grad;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const at::Tensor& parameter = parameters_[i].second;
    if (owns(i) || parameter.scalar_type() == at::kFloat) continue;
    at::Tensor& grad = parameter.mutable_grad();
    if (!grad.defined()) continue;
    if (foreign_summed_[i]) {
      foreign_sums_[i].add_(grad);
    } else {
      foreign_sums_[i] = grad.to(at::kFloat, /*non_blocking=*/false, /*copy=*/true);
      foreign_summed_[i] = true;
    }
    grad.reset();
  }
}

void DataParallel::clear_foreign_gradients() {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (owns(i)) continue;
    parameters_[i].second.mutable_grad().reset();
    foreign_sums_[i] = at::Tensor();
    foreign_summed_[i] = false;
  }
}

void DataParallel::report_optimizer_memory(const AdamW& optimizer) {
  const AdamW::Memory memory = optimizer.memory();
  // Every rank's bytes, for rank 0 to print: an all-reduce of a vector with this rank's entry.
  std::vector<double> bytes(static_cast<std::size_t>(size()), 0.0);
  bytes[static_cast<std::size_t>(rank())] = static_cast<double>(memory.state + memory.masters);
  bytes = group_->all_reduce(std::move(bytes), distributed::Reduction::sum);
  double total = 0, most = 0;
  std::vector<std::string> per_rank;
  for (std::size_t r = 0; r < bytes.size(); ++r) {
    total += bytes[r];
    most = std::max(most, bytes[r]);
    per_rank.push_back("rank " + std::to_string(r) + " " +
                       std::to_string(static_cast<int64_t>(bytes[r])));
  }
  if (sharded()) {
    logger()->info(
        "optimizer_sharding: optimizer state (moments and float32 masters) in bytes: {}; all ranks "
        "together {}, the most loaded rank {:.3f} of it",
        wizard::join(per_rank), static_cast<int64_t>(total), total > 0 ? most / total : 0.0);
  } else {
    logger()->info(
        "optimizer state (moments and float32 masters) in bytes: {} (optimizer_sharding = false: "
        "every rank holds all of it)",
        wizard::join(per_rank));
  }
}

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
  // Parameter i of the task is slot slot_of[i] of the optimizer when this rank owns it.
  std::vector<std::size_t> slot_of(parameters_.size(), 0);
  std::size_t slot = 0;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (owns(i)) slot_of[i] = slot++;
  }
  if (slot != optimizer.parameters().size()) {
    throw Error("data parallel: the optimizer holds " +
                std::to_string(optimizer.parameters().size()) + " parameters, this rank owns " +
                std::to_string(slot) + " (a bug in the trainer)");
  }
  distributed::GradientAccess access;
  for (const auto& entry : parameters_) access.parameters.push_back(entry.second);
  access.owners = owners_;
  access.local_gradient = [this, &optimizer, slot_of](std::size_t i) {
    return owns(i) ? optimizer.gradient_sum(slot_of[i]) : foreign_gradient(i);
  };
  access.set_gradient = [&optimizer, slot_of](std::size_t i, const at::Tensor& gradient) {
    optimizer.set_gradient_sum(slot_of[i], gradient);  // the reducer calls it for owners only
  };
  reducer_ =
      std::make_unique<distributed::GradientReducer>(group_, std::move(access), bucket_bytes_);
  logger()->info("data parallel: {}, {} gradient bucket(s), {:.1f} MB {} per step", describe(),
                 reducer_->buckets().size(), static_cast<double>(reducer_->bytes_per_step()) / 1e6,
                 sharded() ? "reduced to their owners" : "all-reduced");
}

void DataParallel::finish() {
  reducer_->finish();
  if (sharded()) clear_foreign_gradients();  // sent to their owners
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

namespace {
constexpr const char* kNonFiniteKey = "$non_finite";
}  // namespace

nlohmann::json encode_non_finite(const nlohmann::json& value) {
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (std::isfinite(number)) return value;
    return {{kNonFiniteKey, std::isnan(number) ? "nan" : number > 0 ? "inf" : "-inf"}};
  }
  if (!value.is_structured()) return value;
  nlohmann::json out = value;
  for (auto it = out.begin(); it != out.end(); ++it) *it = encode_non_finite(*it);
  return out;
}

nlohmann::json decode_non_finite(const nlohmann::json& value) {
  if (value.is_object() && value.size() == 1 && value.contains(kNonFiniteKey)) {
    const std::string kind = value.at(kNonFiniteKey).get<std::string>();
    if (kind == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (kind == "inf") return std::numeric_limits<double>::infinity();
    if (kind == "-inf") return -std::numeric_limits<double>::infinity();
    throw Error("data parallel: unknown non-finite number '" + kind + "' in a broadcast");
  }
  if (!value.is_structured()) return value;
  nlohmann::json out = value;
  for (auto it = out.begin(); it != out.end(); ++it) *it = decode_non_finite(*it);
  return out;
}

nlohmann::json DataParallel::broadcast(const nlohmann::json& value) {
  const std::string text =
      group_->broadcast_text(is_main() ? encode_non_finite(value).dump() : "", 0);
  return decode_non_finite(nlohmann::json::parse(text));
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
