#include "projection_head.hpp"

#include <cmath>

#include "wizard/base/error.hpp"

namespace wizard::cpo {

namespace {

// torch.nn.Linear's initialisation: weight and bias uniform in +-1/sqrt(in_features).
at::Tensor uniform(at::IntArrayRef shape, int64_t fan_in, at::Generator& generator,
                   at::Device device) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  at::Tensor values = at::empty(shape, at::kFloat);
  values.uniform_(-bound, bound, generator);
  return values.to(device).requires_grad_(true);
}

}  // namespace

ProjectionHead::ProjectionHead(int64_t hidden, int64_t out_dim, std::uint64_t seed,
                               at::Device device) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  fc1_weight_ = uniform({hidden, hidden}, hidden, generator, device);
  fc1_bias_ = uniform({hidden}, hidden, generator, device);
  fc2_weight_ = uniform({out_dim, hidden}, hidden, generator, device);
  fc2_bias_ = uniform({out_dim}, hidden, generator, device);
}

at::Tensor ProjectionHead::forward(const at::Tensor& x) const {
  return at::linear(at::relu(at::linear(x, fc1_weight_, fc1_bias_)), fc2_weight_, fc2_bias_);
}

train::NamedParameters ProjectionHead::named_parameters(const std::string& prefix) const {
  return {{prefix + "fc1.weight", fc1_weight_},
          {prefix + "fc1.bias", fc1_bias_},
          {prefix + "fc2.weight", fc2_weight_},
          {prefix + "fc2.bias", fc2_bias_}};
}

ProjectionHead ProjectionHead::detached_copy() const {
  ProjectionHead copy;
  copy.fc1_weight_ = fc1_weight_.detach().clone();
  copy.fc1_bias_ = fc1_bias_.detach().clone();
  copy.fc2_weight_ = fc2_weight_.detach().clone();
  copy.fc2_bias_ = fc2_bias_.detach().clone();
  return copy;
}

void ProjectionHead::load(const safetensors::File& file, const std::string& prefix) {
  at::NoGradGuard no_grad;
  for (auto& [name, tensor] : named_parameters(prefix)) {
    if (!file.contains(name)) {
      throw Error(file.path().string() + " has no tensor '" + name +
                  "': it was saved by a run without this projection head (projection_dim)");
    }
    const auto& info = file.info(name);
    if (info.shape != tensor.sizes().vec()) {
      throw Error(file.path().string() + ": '" + name + "' has shape " +
                  c10::str(at::IntArrayRef(info.shape)) + ", this run's projection head " +
                  c10::str(tensor.sizes()) + " (projection_dim or the model changed)");
    }
    tensor.copy_(file.load(name, at::kFloat, tensor.device()));
  }
}

}  // namespace wizard::cpo
