#include "wizard/model/layout.hpp"

#include <algorithm>
#include <string>

#include "wizard/base/error.hpp"

namespace wizard::model {

namespace {

std::string where(int64_t row, int64_t index) {
  return "segment " + std::to_string(index) + " of row " + std::to_string(row);
}

void validate_row(const RowSegments& row, int64_t r, int64_t row_length) {
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (int64_t i = 0; i < static_cast<int64_t>(row.size()); ++i) {
    const Segment& s = row[i];
    if (s.length <= 0 || s.start < 0 || s.start + s.length > row_length) {
      throw Error("attention layout: " + where(r, i) + " spans [" + std::to_string(s.start) + ", " +
                  std::to_string(s.start + s.length) + "), which is empty or outside the row of " +
                  std::to_string(row_length) + " positions.");
    }
    if (s.prefix < -1 || s.prefix >= i) {
      throw Error("attention layout: " + where(r, i) + " names prefix " + std::to_string(s.prefix) +
                  "; a prefix must be an earlier segment of the same row (or -1 for none).");
    }
    spans.emplace_back(s.start, s.start + s.length);
  }
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].first < spans[i - 1].second) {
      throw Error("attention layout: segments of row " + std::to_string(r) +
                  " overlap at position " + std::to_string(spans[i].first) +
                  "; every position belongs to one segment at most.");
    }
  }
}

}  // namespace

AttentionLayout AttentionLayout::padded(const at::Tensor& attention_mask) {
  if (attention_mask.dim() != 2) {
    throw Error("attention layout: attention_mask must be [rows, length], got " +
                std::to_string(attention_mask.dim()) + " dimensions.");
  }
  AttentionLayout layout;
  layout.kind_ = Kind::padded;
  layout.rows_ = attention_mask.size(0);
  layout.row_length_ = attention_mask.size(1);
  layout.attention_mask_ = attention_mask;
  return layout;
}

AttentionLayout AttentionLayout::segmented(std::vector<RowSegments> rows, int64_t row_length) {
  for (int64_t r = 0; r < static_cast<int64_t>(rows.size()); ++r) {
    validate_row(rows[r], r, row_length);
  }
  AttentionLayout layout;
  layout.kind_ = Kind::segmented;
  layout.rows_ = static_cast<int64_t>(rows.size());
  layout.row_length_ = row_length;
  layout.segments_ = std::move(rows);
  return layout;
}

AttentionLayout AttentionLayout::packed(const std::vector<std::vector<int64_t>>& lengths,
                                        int64_t row_length) {
  std::vector<RowSegments> rows;
  for (const auto& row_lengths : lengths) {
    RowSegments row;
    int64_t start = 0;
    for (int64_t length : row_lengths) {
      row.push_back({start, length, -1});
      start += length;
    }
    rows.push_back(std::move(row));
  }
  return segmented(std::move(rows), row_length);
}

const at::Tensor& AttentionLayout::attention_mask() const {
  if (kind_ != Kind::padded)
    throw Error("attention layout: a segmented layout has no attention_mask.");
  return attention_mask_;
}

const std::vector<RowSegments>& AttentionLayout::segments() const {
  if (kind_ != Kind::segmented) throw Error("attention layout: a padded layout has no segments.");
  return segments_;
}

std::vector<int64_t> AttentionLayout::prefix_chain(int64_t row, int64_t index) const {
  std::vector<int64_t> chain;
  for (int64_t p = segments().at(row).at(index).prefix; p >= 0; p = segments_[row][p].prefix) {
    chain.insert(chain.begin(), p);
  }
  return chain;
}

at::Tensor AttentionLayout::position_ids(at::Device device) const {
  if (kind_ == Kind::padded) {
    const at::Tensor mask = attention_mask_.to(device, at::kLong);
    return (mask.cumsum(1) - 1).masked_fill(mask == 0, 1);
  }
  at::Tensor positions = at::zeros({rows_, row_length_}, at::kLong);
  auto access = positions.accessor<int64_t, 2>();
  for (int64_t r = 0; r < rows_; ++r) {
    for (int64_t i = 0; i < static_cast<int64_t>(segments_[r].size()); ++i) {
      int64_t first = 0;
      for (int64_t p : prefix_chain(r, i)) first += segments_[r][p].length;
      const Segment& s = segments_[r][i];
      for (int64_t t = 0; t < s.length; ++t) access[r][s.start + t] = first + t;
    }
  }
  return positions.to(device);
}

at::Tensor AttentionLayout::token_mask(at::Device device) const {
  if (kind_ == Kind::padded) return attention_mask_.to(device) != 0;
  at::Tensor mask = at::zeros({rows_, row_length_}, at::kBool);
  for (int64_t r = 0; r < rows_; ++r) {
    for (const Segment& s : segments_[r]) mask[r].narrow(0, s.start, s.length).fill_(true);
  }
  return mask.to(device);
}

}  // namespace wizard::model
