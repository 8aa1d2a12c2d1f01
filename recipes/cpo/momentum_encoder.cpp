#include "momentum_encoder.hpp"

#include "wizard/base/error.hpp"

namespace wizard::cpo {

void ema_update(const std::vector<at::Tensor>& averages, const std::vector<at::Tensor>& live,
                double beta) {
  at::NoGradGuard no_grad;
  for (std::size_t i = 0; i < averages.size(); ++i) {
    averages[i].mul_(beta).add_(live[i].detach().to(averages[i].scalar_type()), 1.0 - beta);
  }
}

MomentumEncoder::MomentumEncoder(double beta, const model::CausalLM* live,
                                 std::unique_ptr<model::CausalLM> copy,
                                 const ProjectionHead& live_head)
    : beta_(beta), copy_(std::move(copy)) {
  at::NoGradGuard no_grad;
  if (copy_) {
    copy_->set_requires_grad(false);
    if (!live) throw Error("MomentumEncoder: a copy of the model without the model");
    const train::NamedParameters live_parameters = live->named_parameters();
    const train::NamedParameters copy_parameters = copy_->named_parameters();
    if (live_parameters.size() != copy_parameters.size()) {
      throw Error("the momentum encoder's copy of the model has other parameters than the policy");
    }
    for (std::size_t i = 0; i < live_parameters.size(); ++i) {
      const at::Tensor& target = copy_parameters[i].second;
      target.copy_(live_parameters[i].second);
      const bool exact = target.scalar_type() == at::kFloat;
      tracked_.push_back({"model." + copy_parameters[i].first,
                          exact ? target : live_parameters[i].second.detach().to(at::kFloat),
                          live_parameters[i].second, exact ? at::Tensor() : target});
    }
  }
  if (live_head.defined()) {
    head_ = live_head.detached_copy();
    const auto live_tensors = live_head.named_parameters("head.");
    const auto own = head_.named_parameters("head.");
    for (std::size_t i = 0; i < own.size(); ++i) {
      tracked_.push_back({own[i].first, own[i].second, live_tensors[i].second, at::Tensor()});
    }
  }
}

void MomentumEncoder::update() {
  std::vector<at::Tensor> averages, live;
  for (const Tracked& t : tracked_) {
    averages.push_back(t.average);
    live.push_back(t.live);
  }
  ema_update(averages, live, beta_);
  publish();
}

void MomentumEncoder::publish() {
  at::NoGradGuard no_grad;
  for (const Tracked& t : tracked_) {
    if (t.target.defined()) t.target.copy_(t.average);
  }
}

safetensors::NamedTensors MomentumEncoder::state_tensors(const std::string& prefix) const {
  safetensors::NamedTensors out;
  for (const Tracked& t : tracked_) out.emplace_back(prefix + t.name, t.average.detach());
  return out;
}

void MomentumEncoder::load(const safetensors::File& file, const std::string& prefix) {
  at::NoGradGuard no_grad;
  for (const Tracked& t : tracked_) {
    const std::string name = prefix + t.name;
    if (!file.contains(name)) {
      throw Error(file.path().string() + " has no momentum average '" + name +
                  "': the checkpoint was saved with other use_momentum / momentum_scope / "
                  "projection_dim settings");
    }
    if (file.info(name).shape != t.average.sizes().vec()) {
      throw Error(file.path().string() + ": momentum average '" + name + "' has shape " +
                  c10::str(at::IntArrayRef(file.info(name).shape)) + ", this run's " +
                  c10::str(t.average.sizes()));
    }
    t.average.copy_(file.load(name, at::kFloat, t.average.device()));
  }
  publish();
}

}  // namespace wizard::cpo
