// Which keys each query may see, prepared once per forward pass from the layout and shared
// by every layer (and by the recomputation of gradient checkpointing).
//
// A block is the queries of one segment (padded layouts: of one row) with the keys they see
// ([prefix chain ; itself]). Blocks of similar shape are batched into groups, padded to the
// group's largest query and key counts, so that many short segments cost a few batched
// matrix products instead of one small product each, while a long segment keeps a group of
// its own. Masks are never built for a whole row: a group's mask covers its own padded
// blocks only, and the fused CPU kernels need no mask at all (they read each block's prefix,
// query and key counts). A sliding window (Mistral) adds the band query - key < window,
// counted within the sequence as transformers counts cache positions.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "wizard/model/layout.hpp"

namespace wizard::model {

// For each position some slots read: the slots (flat block * slots + slot) reading it.
struct SlotMap {
  std::vector<int64_t> positions;  // distinct flat positions (row * T + t), ascending
  std::vector<int64_t> offsets;    // positions.size() + 1 offsets into sources
  std::vector<int64_t> sources;
};

struct BlockGroup {
  int64_t blocks = 0;
  int64_t query_slots = 0;  // padded query count per block
  int64_t key_slots = 0;    // padded key count per block
  // Per slot (block * slots + slot): the flat position it reads, -1 for padding.
  std::vector<int64_t> query_index;
  std::vector<int64_t> key_index;
  // Per block: keys before the block's own queries, real queries, real keys.
  std::vector<int64_t> prefix;
  std::vector<int64_t> queries;
  std::vector<int64_t> keys;
  // Padded layouts only: [blocks * key_slots], 0 where the attention mask hides the key.
  std::vector<uint8_t> key_valid;
  SlotMap query_map;
  SlotMap key_map;
};

// transformers' additive mask: 0 where `ok`, the dtype's lowest finite value elsewhere.
at::Tensor additive_mask(const at::Tensor& ok, at::ScalarType dtype);

class AttentionPlan {
 public:
  // `windows`: the sliding windows some layer uses (none for full attention).
  AttentionPlan(const AttentionLayout& layout, const std::vector<std::optional<int64_t>>& windows,
                at::ScalarType dtype, at::Device device);

  bool padded() const { return padded_; }
  int64_t rows() const { return rows_; }
  int64_t row_length() const { return row_length_; }

  // The block groups (segmented layouts; padded layouts on the CPU, one block per row).
  const std::vector<BlockGroup>& groups() const { return groups_; }

  // ATen path, padded layouts: transformers' additive mask [R, 1, T, T] for a window.
  at::Tensor padded_mask(std::optional<int64_t> window) const;

  // ATen path, segmented layouts: a group's slot positions on the device (padding slots read
  // position 0), the query slots holding real queries and their positions, and the additive
  // mask [blocks, 1, 1, query_slots, key_slots] (padding slots fully masked).
  struct GroupTensors {
    at::Tensor query_index;
    at::Tensor key_index;
    at::Tensor real_query_slots;
    at::Tensor real_query_positions;
  };
  const GroupTensors& group_tensors(std::size_t group) const;
  at::Tensor group_mask(std::size_t group, std::optional<int64_t> window) const;

 private:
  void build_segment_groups(const AttentionLayout& layout);
  void build_row_groups(const AttentionLayout& layout);

  bool padded_ = true;
  int64_t rows_ = 0;
  int64_t row_length_ = 0;
  at::ScalarType dtype_;
  at::Device device_;
  at::Tensor attention_mask_;  // padded layouts, on the device
  std::vector<BlockGroup> groups_;

  // Built on first use (a plan is shared by every layer of a forward pass).
  mutable std::mutex mutex_;
  mutable std::map<int64_t, at::Tensor> padded_masks_;  // by window (0: none)
  mutable std::map<std::size_t, GroupTensors> group_tensors_;
  mutable std::map<std::pair<std::size_t, int64_t>, at::Tensor> group_masks_;
};

}  // namespace wizard::model
