#include "attention_plan.hpp"

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <algorithm>
#include <limits>
#include <tuple>

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

// allowed[q, k] for queries and keys at the given sequence indices: causal, and within the
// window when there is one (transformers masks key <= query - window).
at::Tensor allowed(const at::Tensor& query_index, const at::Tensor& key_index,
                   std::optional<int64_t> window) {
  const at::Tensor q = query_index.unsqueeze(-1);
  const at::Tensor k = key_index.unsqueeze(-2);
  at::Tensor ok = k <= q;
  if (window) ok = ok.logical_and(q - k < *window);
  return ok;
}

// Adjacent ranges (a prompt directly followed by its completion) merge into one slice.
void add_key_range(std::vector<KeyRange>& ranges, KeyRange next) {
  if (!ranges.empty() && ranges.back().start + ranges.back().length == next.start) {
    ranges.back().length += next.length;
  } else {
    ranges.push_back(next);
  }
}

at::Tensor additive(const at::Tensor& ok, at::ScalarType dtype) {
  return at::zeros(ok.sizes(), at::TensorOptions().dtype(dtype).device(ok.device()))
      .masked_fill(ok.logical_not(), lowest_value(dtype));
}

}  // namespace

AttentionPlan::AttentionPlan(const AttentionLayout& layout,
                             const std::vector<std::optional<int64_t>>& windows,
                             at::ScalarType dtype, at::Device device)
    : padded_(layout.kind() == AttentionLayout::Kind::padded),
      rows_(layout.rows()),
      row_length_(layout.row_length()) {
  const auto index = [&](int64_t n, int64_t first = 0) {
    return at::arange(first, first + n, at::TensorOptions().dtype(at::kLong).device(device));
  };
  if (padded_) {
    const at::Tensor keys_valid = layout.attention_mask().to(device).ne(0);  // [R, T]
    const at::Tensor positions = index(row_length_);
    for (const auto& window : windows) {
      const at::Tensor ok = allowed(positions, positions, window)
                                .unsqueeze(0)
                                .logical_and(keys_valid.unsqueeze(1));  // [R, T, T]
      padded_masks_[key_of(window)] = additive(ok, dtype).unsqueeze(1);
    }
    return;
  }
  for (int64_t r = 0; r < rows_; ++r) {
    const RowSegments& row = layout.segments()[r];
    for (int64_t i = 0; i < static_cast<int64_t>(row.size()); ++i) {
      AttentionBlock block;
      block.row = r;
      block.query_start = row[i].start;
      block.query_length = row[i].length;
      for (int64_t p : layout.prefix_chain(r, i)) {
        add_key_range(block.keys, {row[p].start, row[p].length});
        block.prefix_length += row[p].length;
      }
      add_key_range(block.keys, {row[i].start, row[i].length});
      blocks_.push_back(std::move(block));
    }
  }
  std::sort(blocks_.begin(), blocks_.end(), [](const AttentionBlock& a, const AttentionBlock& b) {
    return std::tie(a.row, a.query_start) < std::tie(b.row, b.query_start);
  });
  // Blocks of equal shape share one mask.
  std::map<std::tuple<int64_t, int64_t, int64_t>, at::Tensor> shared;
  for (const AttentionBlock& block : blocks_) {
    std::map<int64_t, at::Tensor> masks;
    for (const auto& window : windows) {
      auto& mask = shared[{block.query_length, block.prefix_length, key_of(window)}];
      if (!mask.defined()) {
        const at::Tensor ok = allowed(index(block.query_length, block.prefix_length),
                                      index(block.key_length()), window);
        mask = additive(ok, dtype);
      }
      masks[key_of(window)] = mask;
    }
    block_masks_.push_back(std::move(masks));
  }
}

const at::Tensor& AttentionPlan::padded_mask(std::optional<int64_t> window) const {
  return padded_masks_.at(key_of(window));
}

const at::Tensor& AttentionPlan::block_mask(std::size_t block,
                                            std::optional<int64_t> window) const {
  return block_masks_.at(block).at(key_of(window));
}

}  // namespace wizard::model
