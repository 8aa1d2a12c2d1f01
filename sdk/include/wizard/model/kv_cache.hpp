// The keys and values of every decoder layer, kept between the steps of incremental decoding
// so that each new token costs one position's work instead of the whole sequence's.
//
//   KvCache cache(model.config(), rows, prompt_length + max_new_tokens, dtype, device);
//   hidden = model.forward_cached(prompt_ids, prompt_positions, prompt_mask, cache);  // prefill
//   hidden = model.forward_cached(next_ids, next_positions, ones, cache);            // one step
//
// Memory is allocated once, for `capacity` positions of every row, in the dtype attention
// computes in, on the model's device: 2 x layers x rows x kv_heads x capacity x head_dim
// values. Rows advance together (a batch left-padded to one length); `valid` marks the
// cached positions that hold tokens, so padding is never attended to.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/model/config.hpp"

namespace wizard::model {

class WIZARD_API KvCache {
 public:
  KvCache(const ModelConfig& config, int64_t rows, int64_t capacity, at::ScalarType dtype,
          at::Device device);

  int64_t rows() const { return rows_; }
  int64_t capacity() const { return capacity_; }
  // Positions filled so far (the same for every row).
  int64_t length() const { return length_; }
  at::ScalarType dtype() const { return dtype_; }
  at::Device device() const { return device_; }

  // Layer `layer`'s keys (after RoPE) and values, [rows, kv_heads, capacity, head_dim].
  const at::Tensor& keys(int64_t layer) const { return keys_.at(static_cast<size_t>(layer)); }
  const at::Tensor& values(int64_t layer) const { return values_.at(static_cast<size_t>(layer)); }
  // [rows, capacity] bool: which filled positions hold tokens (false for padding).
  const at::Tensor& valid() const { return valid_; }

  // Starts over (keeps the memory).
  void clear();
  // Keeps only the rows listed in `keep` (indices into the current rows, ascending), so that
  // finished rows of a batch stop costing work. Copies the kept rows.
  void select_rows(const std::vector<int64_t>& keep);

  // For CausalLM::forward_cached: reserves `count` more positions (marked by `mask` [rows,
  // count]) and returns the first of them. Throws when the capacity would be exceeded.
  int64_t append(const at::Tensor& mask);

 private:
  int64_t rows_ = 0;
  int64_t capacity_ = 0;
  int64_t length_ = 0;
  at::ScalarType dtype_;
  at::Device device_;
  std::vector<at::Tensor> keys_;
  std::vector<at::Tensor> values_;
  at::Tensor valid_;
};

}  // namespace wizard::model
