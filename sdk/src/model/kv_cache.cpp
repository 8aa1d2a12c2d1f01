#include "wizard/model/kv_cache.hpp"

#include <string>

#include "wizard/base/error.hpp"

namespace wizard::model {

KvCache::KvCache(const ModelConfig& config, int64_t rows, int64_t capacity, at::ScalarType dtype,
                 at::Device device)
    : rows_(rows), capacity_(capacity), dtype_(dtype), device_(device) {
  if (rows < 1 || capacity < 1) {
    throw Error("KvCache: needs at least one row and one position, got " + std::to_string(rows) +
                " rows of " + std::to_string(capacity));
  }
  const auto options = at::TensorOptions().dtype(dtype).device(device);
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
    keys_.push_back(
        at::empty({rows, config.num_key_value_heads, capacity, config.head_dim}, options));
    values_.push_back(at::empty_like(keys_.back()));
  }
  valid_ = at::zeros({rows, capacity}, at::TensorOptions().dtype(at::kBool).device(device));
}

void KvCache::clear() {
  length_ = 0;
  valid_.zero_();
}

void KvCache::select_rows(const std::vector<int64_t>& keep) {
  if (static_cast<int64_t>(keep.size()) == rows_) return;
  const at::Tensor index =
      at::tensor(keep, at::TensorOptions().dtype(at::kLong)).to(device_, /*non_blocking=*/true);
  for (auto* tensors : {&keys_, &values_}) {
    for (at::Tensor& t : *tensors) t = t.index_select(0, index);
  }
  valid_ = valid_.index_select(0, index);
  rows_ = static_cast<int64_t>(keep.size());
}

int64_t KvCache::append(const at::Tensor& mask) {
  if (mask.dim() != 2 || mask.size(0) != rows_) {
    throw Error("KvCache: the token mask must be [rows, positions] with " + std::to_string(rows_) +
                " rows");
  }
  const int64_t count = mask.size(1);
  if (length_ + count > capacity_) {
    throw Error("KvCache: " + std::to_string(length_ + count) +
                " positions exceed its capacity of " + std::to_string(capacity_) +
                "; make the cache for prompt + new tokens");
  }
  valid_.narrow(1, length_, count).copy_(mask.to(device_).ne(0));
  const int64_t start = length_;
  length_ += count;
  return start;
}

}  // namespace wizard::model
