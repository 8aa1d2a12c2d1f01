#include "wizard/distributed/gradient_reducer.hpp"

#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "wizard/base/error.hpp"

namespace wizard::distributed {

struct GradientReducer::State {
  struct Bucket {
    std::vector<std::size_t> members;  // parameter indices
    std::vector<int64_t> offsets;      // each member's start in `flat`
    int64_t root = -1;                 // the owner it is reduced to; -1: all-reduced
    at::Tensor flat;                   // float32, on the parameters' device
    std::size_t pending = 0;           // members whose gradient has not arrived yet
    std::unique_ptr<PendingCollective> work;
  };

  std::shared_ptr<ProcessGroup> group;
  GradientAccess access;
  std::vector<Bucket> buckets;
  std::vector<std::size_t> bucket_of;    // parameter -> bucket
  std::vector<std::size_t> position_of;  // parameter -> index among its bucket's members
  std::vector<bool> arrived;
  std::size_t next_launch = 0;
  bool armed = false;
  int64_t launched_in_backward = 0;
  std::mutex mutex;

  void copy_in(std::size_t parameter) {
    Bucket& bucket = buckets[bucket_of[parameter]];
    const at::Tensor& like = access.parameters[parameter];
    at::Tensor slot = bucket.flat.narrow(0, bucket.offsets[position_of[parameter]], like.numel());
    const at::Tensor gradient = access.local_gradient(parameter);
    if (gradient.defined()) {
      slot.copy_(gradient.reshape({-1}));
    } else {
      slot.zero_();
    }
    arrived[parameter] = true;
    bucket.pending -= 1;
  }

  // Launches the ready buckets in order (a later bucket waits for the earlier ones, so every
  // rank issues the same collectives in the same order).
  void launch_ready() {
    while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
      Bucket& bucket = buckets[next_launch];
      bucket.work = bucket.root < 0 ? group->all_reduce_async(bucket.flat, Reduction::sum)
                                    : group->reduce_async(bucket.flat, bucket.root);
      next_launch += 1;
    }
  }

  void on_gradient(std::size_t parameter) {
    at::NoGradGuard no_grad;
    std::lock_guard<std::mutex> lock(mutex);
    if (!armed || arrived[parameter]) return;
    copy_in(parameter);
    const std::size_t before = next_launch;
    launch_ready();
    launched_in_backward += static_cast<int64_t>(next_launch - before);
  }
};

namespace {

class ReadyHook final : public torch::autograd::PostAccumulateGradHook {
 public:
  ReadyHook(std::weak_ptr<GradientReducer::State> state, std::size_t parameter)
      : state_(std::move(state)), parameter_(parameter) {}
  void operator()(const torch::autograd::Variable& /*tensor*/) override {
    if (auto state = state_.lock()) state->on_gradient(parameter_);
  }

 private:
  std::weak_ptr<GradientReducer::State> state_;
  std::size_t parameter_;
};

}  // namespace

GradientReducer::GradientReducer(std::shared_ptr<ProcessGroup> group, GradientAccess access,
                                 int64_t bucket_bytes)
    : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.group = std::move(group);
  s.access = std::move(access);
  const std::size_t count = s.access.parameters.size();
  const bool sharded = !s.access.owners.empty();
  if (sharded && s.access.owners.size() != count) {
    throw Error("GradientReducer: " + std::to_string(s.access.owners.size()) + " owners for " +
                std::to_string(count) + " parameters (a bug in the trainer)");
  }
  s.bucket_of.resize(count);
  s.position_of.resize(count);
  s.arrived.assign(count, false);
  // Buckets fill in reverse parameter order, one open bucket per owner (a single one without
  // owners), each closed when the next parameter would take it over bucket_bytes.
  std::vector<State::Bucket> filled_buckets;
  std::map<int64_t, std::pair<std::size_t, int64_t>> open;  // owner -> (bucket, bytes in it)
  for (std::size_t k = count; k-- > 0;) {
    const int64_t owner = sharded ? s.access.owners[k] : -1;
    const int64_t bytes = s.access.parameters[k].numel() * static_cast<int64_t>(sizeof(float));
    auto it = open.find(owner);
    if (it == open.end() || it->second.second + bytes > bucket_bytes) {
      filled_buckets.emplace_back();
      filled_buckets.back().root = owner;
      it =
          open.insert_or_assign(owner, std::make_pair(filled_buckets.size() - 1, int64_t{0})).first;
    }
    filled_buckets[it->second.first].members.push_back(k);
    it->second.second += bytes;
  }
  // Launch order: the bucket whose earliest parameter comes latest in the model is complete
  // first in backward (members are in decreasing order, so back() is the earliest).
  std::stable_sort(filled_buckets.begin(), filled_buckets.end(),
                   [](const State::Bucket& a, const State::Bucket& b) {
                     return a.members.back() > b.members.back();
                   });
  s.buckets = std::move(filled_buckets);
  for (std::size_t b = 0; b < s.buckets.size(); ++b) {
    State::Bucket& bucket = s.buckets[b];
    int64_t offset = 0;
    for (std::size_t m = 0; m < bucket.members.size(); ++m) {
      const std::size_t k = bucket.members[m];
      s.bucket_of[k] = b;
      s.position_of[k] = m;
      bucket.offsets.push_back(offset);
      offset += s.access.parameters[k].numel();
    }
  }
  for (auto& bucket : s.buckets) {
    const at::Tensor& last = s.access.parameters[bucket.members.back()];
    const at::Tensor& first = s.access.parameters[bucket.members.front()];
    bucket.flat = at::zeros({bucket.offsets.back() + last.numel()},
                            first.options().dtype(at::kFloat).requires_grad(false));
  }
  for (std::size_t k = 0; k < count; ++k) {
    const at::Tensor& parameter = s.access.parameters[k];
    if (torch::autograd::impl::post_acc_grad_hooks(parameter)) {
      throw Error("data parallel: parameter " + std::to_string(k) +
                  " already has a post-accumulate-grad hook (a bug: one reducer per model)");
    }
    torch::autograd::impl::set_post_acc_grad_hooks(parameter,
                                                   std::make_unique<ReadyHook>(state_, k));
  }
}

GradientReducer::~GradientReducer() {
  for (const auto& parameter : state_->access.parameters) {
    torch::autograd::impl::post_acc_grad_hooks(parameter).reset();
  }
}

void GradientReducer::arm() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  State& s = *state_;
  s.armed = true;
  s.next_launch = 0;
  s.launched_in_backward = 0;
  std::fill(s.arrived.begin(), s.arrived.end(), false);
  for (auto& bucket : s.buckets) {
    bucket.pending = bucket.members.size();
    bucket.work.reset();
  }
}

void GradientReducer::finish() {
  State& s = *state_;
  at::NoGradGuard no_grad;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.armed) throw Error("GradientReducer::finish() without arm() (a bug in the trainer)");
    for (std::size_t k = 0; k < s.arrived.size(); ++k) {
      if (!s.arrived[k]) s.copy_in(k);
    }
    s.launch_ready();
    s.armed = false;
  }
  const double inverse = 1.0 / static_cast<double>(s.group->size());
  for (auto& bucket : s.buckets) {
    bucket.work->wait();
    bucket.work.reset();
    if (bucket.root >= 0 && bucket.root != s.group->rank()) continue;  // another owner's
    bucket.flat.mul_(inverse);
    for (std::size_t m = 0; m < bucket.members.size(); ++m) {
      const std::size_t k = bucket.members[m];
      const at::Tensor& parameter = s.access.parameters[k];
      s.access.set_gradient(
          k, bucket.flat.narrow(0, bucket.offsets[m], parameter.numel()).view(parameter.sizes()));
    }
  }
}

std::vector<std::vector<std::size_t>> GradientReducer::buckets() const {
  std::vector<std::vector<std::size_t>> out;
  for (const auto& bucket : state_->buckets) out.push_back(bucket.members);
  return out;
}

int64_t GradientReducer::launched_during_backward() const {
  return state_->launched_in_backward;
}

int64_t GradientReducer::bytes_per_step() const {
  int64_t bytes = 0;
  for (const auto& bucket : state_->buckets) bytes += bucket.flat.numel() * 4;
  return bytes;
}

}  // namespace wizard::distributed
