// Which keys each query may see, prepared once per forward pass from the layout and shared
// by every layer (and by the recomputation of gradient checkpointing).
//
// Padded layouts get transformers' additive mask [R, 1, T, T] (0 where allowed, the dtype's
// lowest value elsewhere). Segmented layouts get blocks: the queries of one segment, the key
// ranges they see ([prefix chain ; itself]) and a small [queries, keys] mask, so no mask is
// ever larger than one segment's keys. A sliding window (Mistral) adds the band
// query - key < window, counted within the sequence as transformers counts cache positions.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "wizard/model/layout.hpp"

namespace wizard::model {

struct KeyRange {
  int64_t start = 0;
  int64_t length = 0;
};

struct AttentionBlock {
  int64_t row = 0;
  int64_t query_start = 0;
  int64_t query_length = 0;
  std::vector<KeyRange> keys;  // prefix chain first, the segment itself last
  int64_t prefix_length = 0;   // keys before the segment's own
  int64_t key_length() const { return prefix_length + query_length; }
};

class AttentionPlan {
 public:
  // `windows`: the sliding windows some layer uses (none for full attention).
  AttentionPlan(const AttentionLayout& layout, const std::vector<std::optional<int64_t>>& windows,
                at::ScalarType dtype, at::Device device);

  bool padded() const { return padded_; }
  int64_t rows() const { return rows_; }
  int64_t row_length() const { return row_length_; }

  // Padded layouts: the additive mask [R, 1, T, T] for a window.
  const at::Tensor& padded_mask(std::optional<int64_t> window) const;

  // Segmented layouts: blocks ordered by row then position, and their additive masks
  // [queries, keys].
  const std::vector<AttentionBlock>& blocks() const { return blocks_; }
  const at::Tensor& block_mask(std::size_t block, std::optional<int64_t> window) const;

 private:
  static int64_t key_of(std::optional<int64_t> window) { return window.value_or(0); }

  bool padded_ = true;
  int64_t rows_ = 0;
  int64_t row_length_ = 0;
  std::map<int64_t, at::Tensor> padded_masks_;  // by window (0: none)
  std::vector<AttentionBlock> blocks_;
  std::vector<std::map<int64_t, at::Tensor>> block_masks_;
};

}  // namespace wizard::model
