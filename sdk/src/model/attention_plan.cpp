#include "attention_plan.hpp"

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <utility>

#include "wizard/base/error.hpp"

namespace wizard::model {

namespace {

// torch.finfo(dtype).min: what transformers puts where attention is not allowed. A finite
// value (not -inf) keeps fully masked rows (padding queries) finite.
double lowest_value(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat:
      return std::numeric_limits<float>::lowest();
    case at::kDouble:
      return std::numeric_limits<double>::lowest();
    case at::kBFloat16:
      return static_cast<float>(std::numeric_limits<c10::BFloat16>::lowest());
    case at::kHalf:
      return static_cast<float>(std::numeric_limits<c10::Half>::lowest());
    default:
      throw Error(std::string("attention: unsupported compute dtype ") + c10::toString(dtype));
  }
}

// One segment's queries and the keys they see, before batching.
struct Block {
  std::vector<int64_t> query_positions;
  std::vector<int64_t> key_positions;  // prefix chain first, the segment itself last
  int64_t prefix = 0;
  int64_t queries() const { return static_cast<int64_t>(query_positions.size()); }
  int64_t keys() const { return static_cast<int64_t>(key_positions.size()); }
};

// Padding a group costs at most this factor over its blocks' own query x key areas, except
// that blocks of up to kSmallBlock queries and keys pad freely (one batched product beats
// many tiny ones).
constexpr double kPaddingFactor = 1.3;
constexpr int64_t kSmallBlock = 64;

// Groups of block indices, largest key count first.
std::vector<std::vector<std::size_t>> group_blocks(const std::vector<Block>& blocks) {
  std::vector<std::size_t> order(blocks.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::make_pair(blocks[a].keys(), blocks[a].queries()) >
           std::make_pair(blocks[b].keys(), blocks[b].queries());
  });
  std::vector<std::vector<std::size_t>> groups;
  int64_t max_queries = 0, max_keys = 0;
  double area = 0;
  for (std::size_t index : order) {
    const Block& b = blocks[index];
    if (!groups.empty()) {
      const int64_t q = std::max(max_queries, b.queries());
      const int64_t k = std::max(max_keys, b.keys());
      const double padded = static_cast<double>(groups.back().size() + 1) * q * k;
      const double real = area + static_cast<double>(b.queries()) * b.keys();
      if (padded <= kPaddingFactor * real || (q <= kSmallBlock && k <= kSmallBlock)) {
        groups.back().push_back(index);
        max_queries = q;
        max_keys = k;
        area = real;
        continue;
      }
    }
    groups.push_back({index});
    max_queries = b.queries();
    max_keys = b.keys();
    area = static_cast<double>(b.queries()) * b.keys();
  }
  return groups;
}

// position -> reading slots, from a slot -> position list (-1: padding).
SlotMap slot_map(const std::vector<int64_t>& index) {
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t slot = 0; slot < static_cast<int64_t>(index.size()); ++slot)
    if (index[slot] >= 0) pairs.emplace_back(index[slot], slot);
  std::sort(pairs.begin(), pairs.end());
  SlotMap map;
  for (const auto& [position, slot] : pairs) {
    if (map.positions.empty() || map.positions.back() != position) {
      map.positions.push_back(position);
      map.offsets.push_back(static_cast<int64_t>(map.sources.size()));
    }
    map.sources.push_back(slot);
  }
  map.offsets.push_back(static_cast<int64_t>(map.sources.size()));
  return map;
}

BlockGroup make_group(const std::vector<Block>& blocks, const std::vector<std::size_t>& members) {
  BlockGroup g;
  g.blocks = static_cast<int64_t>(members.size());
  for (std::size_t m : members) {
    g.query_slots = std::max(g.query_slots, blocks[m].queries());
    g.key_slots = std::max(g.key_slots, blocks[m].keys());
  }
  g.query_index.assign(g.blocks * g.query_slots, -1);
  g.key_index.assign(g.blocks * g.key_slots, -1);
  for (int64_t b = 0; b < g.blocks; ++b) {
    const Block& block = blocks[members[b]];
    std::copy(block.query_positions.begin(), block.query_positions.end(),
              g.query_index.begin() + b * g.query_slots);
    std::copy(block.key_positions.begin(), block.key_positions.end(),
              g.key_index.begin() + b * g.key_slots);
    g.prefix.push_back(block.prefix);
    g.queries.push_back(block.queries());
    g.keys.push_back(block.keys());
  }
  g.query_map = slot_map(g.query_index);
  g.key_map = slot_map(g.key_index);
  return g;
}

}  // namespace

at::Tensor additive_mask(const at::Tensor& ok, at::ScalarType dtype) {
  return at::zeros(ok.sizes(), at::TensorOptions().dtype(dtype).device(ok.device()))
      .masked_fill(ok.logical_not(), lowest_value(dtype));
}

AttentionPlan::AttentionPlan(const AttentionLayout& layout,
                             const std::vector<std::optional<int64_t>>&, at::ScalarType dtype,
                             at::Device device)
    : padded_(layout.kind() == AttentionLayout::Kind::padded),
      rows_(layout.rows()),
      row_length_(layout.row_length()),
      dtype_(dtype),
      device_(device) {
  if (padded_) {
    attention_mask_ = layout.attention_mask().to(device);
    // The fused CPU kernels read rows as blocks; other devices use the [R, 1, T, T] mask.
    if (device.is_cpu()) build_row_groups(layout);
  } else {
    build_segment_groups(layout);
  }
}

void AttentionPlan::build_segment_groups(const AttentionLayout& layout) {
  std::vector<Block> blocks;
  for (int64_t r = 0; r < rows_; ++r) {
    const RowSegments& row = layout.segments()[r];
    for (int64_t i = 0; i < static_cast<int64_t>(row.size()); ++i) {
      Block block;
      auto add = [&](const Segment& s, std::vector<int64_t>& to) {
        for (int64_t t = 0; t < s.length; ++t) to.push_back(r * row_length_ + s.start + t);
      };
      for (int64_t p : layout.prefix_chain(r, i)) {
        add(row[p], block.key_positions);
        block.prefix += row[p].length;
      }
      add(row[i], block.key_positions);
      add(row[i], block.query_positions);
      blocks.push_back(std::move(block));
    }
  }
  for (const auto& members : group_blocks(blocks)) groups_.push_back(make_group(blocks, members));
}

void AttentionPlan::build_row_groups(const AttentionLayout& layout) {
  const at::Tensor valid = layout.attention_mask().ne(0).to(at::kCPU).contiguous();
  std::vector<Block> blocks(rows_);
  for (int64_t r = 0; r < rows_; ++r) {
    for (int64_t t = 0; t < row_length_; ++t)
      blocks[r].query_positions.push_back(r * row_length_ + t);
    blocks[r].key_positions = blocks[r].query_positions;
  }
  std::vector<std::size_t> members(rows_);
  std::iota(members.begin(), members.end(), 0);
  BlockGroup group = make_group(blocks, members);
  const bool* v = valid.data_ptr<bool>();
  group.key_valid.assign(v, v + rows_ * row_length_);
  groups_.push_back(std::move(group));
}

at::Tensor AttentionPlan::padded_mask(std::optional<int64_t> window) const {
  std::lock_guard<std::mutex> lock(mutex_);
  at::Tensor& mask = padded_masks_[window.value_or(0)];
  if (!mask.defined()) {
    const at::Tensor keys_valid = attention_mask_.ne(0);  // [R, T]
    const at::Tensor positions =
        at::arange(row_length_, at::TensorOptions().dtype(at::kLong).device(device_));
    const at::Tensor q = positions.unsqueeze(-1), k = positions.unsqueeze(-2);
    at::Tensor ok = k <= q;
    if (window) ok = ok.logical_and(q - k < *window);
    ok = ok.unsqueeze(0).logical_and(keys_valid.unsqueeze(1));  // [R, T, T]
    mask = additive_mask(ok, dtype_).unsqueeze(1);
  }
  return mask;
}

const AttentionPlan::GroupTensors& AttentionPlan::group_tensors(std::size_t group) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = group_tensors_.find(group);
  if (found != group_tensors_.end()) return found->second;
  const BlockGroup& g = groups_.at(group);
  const auto on_device = [&](std::vector<int64_t> values) {
    return at::tensor(values, at::TensorOptions().dtype(at::kLong)).to(device_);
  };
  GroupTensors t;
  std::vector<int64_t> query_index = g.query_index, key_index = g.key_index;
  std::vector<int64_t> real_slots, real_positions;
  for (int64_t s = 0; s < static_cast<int64_t>(query_index.size()); ++s) {
    if (query_index[s] >= 0) {
      real_slots.push_back(s);
      real_positions.push_back(query_index[s]);
    }
  }
  for (int64_t& p : query_index) p = std::max<int64_t>(p, 0);
  for (int64_t& p : key_index) p = std::max<int64_t>(p, 0);
  t.query_index = on_device(query_index);
  t.key_index = on_device(key_index);
  t.real_query_slots = on_device(real_slots);
  t.real_query_positions = on_device(real_positions);
  return group_tensors_.emplace(group, std::move(t)).first->second;
}

at::Tensor AttentionPlan::group_mask(std::size_t group, std::optional<int64_t> window) const {
  std::lock_guard<std::mutex> lock(mutex_);
  at::Tensor& mask = group_masks_[{group, window.value_or(0)}];
  if (!mask.defined()) {
    const BlockGroup& g = groups_.at(group);
    const auto options = at::TensorOptions().dtype(at::kLong).device(device_);
    const auto per_block = [&](const std::vector<int64_t>& values) {
      return at::tensor(values, at::TensorOptions().dtype(at::kLong))
          .to(device_)
          .view({g.blocks, 1, 1});
    };
    const at::Tensor prefix = per_block(g.prefix), queries = per_block(g.queries),
                     keys = per_block(g.keys);
    const at::Tensor i = at::arange(g.query_slots, options).view({1, -1, 1});
    const at::Tensor j = at::arange(g.key_slots, options).view({1, 1, -1});
    const at::Tensor query_at = prefix + i;  // the query's index in its sequence
    at::Tensor ok = (i < queries).logical_and(j < keys).logical_and(j <= query_at);
    if (window) ok = ok.logical_and(query_at - j < *window);
    mask = additive_mask(ok, dtype_).view({g.blocks, 1, 1, g.query_slots, g.key_slots});
  }
  return mask;
}

}  // namespace wizard::model
