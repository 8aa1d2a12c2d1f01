#include "key_queue.hpp"

#include <algorithm>

#include "wizard/base/error.hpp"

namespace wizard::cpo {

void KeyQueue::push(const at::Tensor& keys, const at::Tensor& ids) {
  at::NoGradGuard no_grad;
  int64_t n = keys.size(0);
  at::Tensor new_keys = keys.detach().to(at::kFloat);
  at::Tensor new_ids = ids.to(keys.device(), at::kLong);
  if (n > capacity_) {  // only the newest capacity_ keys survive
    new_keys = new_keys.narrow(0, n - capacity_, capacity_);
    new_ids = new_ids.narrow(0, n - capacity_, capacity_);
    n = capacity_;
  }
  if (!keys_.defined()) {
    keys_ = at::empty({0, keys.size(1)}, new_keys.options());
    ids_ = at::empty({0}, new_ids.options());
  }
  if (keys.size(1) != keys_.size(1)) {
    throw Error("the key queue holds " + std::to_string(keys_.size(1)) + "-dimensional keys; got " +
                std::to_string(keys.size(1)));
  }
  // Grow the ring until it reaches capacity (the slots beyond size_ are appended in order).
  if (keys_.size(0) < capacity_) {
    const int64_t grow = std::min(capacity_ - keys_.size(0), n);
    keys_ = at::cat({keys_, at::zeros({grow, keys_.size(1)}, keys_.options())});
    ids_ = at::cat({ids_, at::full({grow}, -1, ids_.options())});
  }
  for (int64_t done = 0; done < n;) {
    const int64_t run = std::min(n - done, keys_.size(0) - next_);
    keys_.narrow(0, next_, run).copy_(new_keys.narrow(0, done, run));
    ids_.narrow(0, next_, run).copy_(new_ids.narrow(0, done, run));
    done += run;
    next_ = (next_ + run) % capacity_;
  }
  size_ = std::min(capacity_, size_ + n);
}

at::Tensor KeyQueue::ordered(const at::Tensor& ring) const {
  if (size_ == 0) return at::Tensor();
  if (size_ < capacity_) return ring.narrow(0, 0, size_);
  // Full: the oldest key sits at next_.
  return at::cat({ring.narrow(0, next_, capacity_ - next_), ring.narrow(0, 0, next_)});
}

at::Tensor KeyQueue::keys() const {
  return ordered(keys_);
}
at::Tensor KeyQueue::ids() const {
  return ordered(ids_);
}

safetensors::NamedTensors KeyQueue::state_tensors(const std::string& prefix) const {
  if (size_ == 0) return {};
  return {{prefix + "keys", keys().contiguous()}, {prefix + "ids", ids().contiguous()}};
}

void KeyQueue::load(const safetensors::File& file, const std::string& prefix, at::Device device) {
  keys_ = at::Tensor();
  ids_ = at::Tensor();
  size_ = 0;
  next_ = 0;
  if (!file.contains(prefix + "keys")) return;
  const at::Tensor keys = file.load(prefix + "keys", at::kFloat, device);
  const at::Tensor ids = file.load(prefix + "ids", at::kLong, device);
  if (keys.dim() != 2 || ids.dim() != 1 || ids.size(0) != keys.size(0)) {
    throw Error(file.path().string() + ": the key queue's " + prefix + "keys and " + prefix +
                "ids do not match; the file is damaged");
  }
  push(keys, ids);
}

}  // namespace wizard::cpo
