// Which tokens of a batch attend to which: the second input of every forward pass.
//
// A batch is R rows of T positions. Two kinds of layout:
//  - padded: one sequence per row, padded on either side; attention_mask [R,T] marks the
//    tokens (1) and the padding (0). Causal attention over the row, padding masked, as
//    transformers does with an attention_mask.
//  - segmented: each row holds segments (contiguous runs of tokens). A segment attends
//    causally to itself and, when it names a prefix segment, fully to that prefix (and to
//    the prefix's own prefix, and so on), as if the prefix chain and the segment were one
//    sequence. This covers packing (several independent sequences per row) and prefix
//    sharing: a row [prompt | chosen | rejected] whose chosen and rejected segments both
//    name the prompt computes the prompt once; chosen never sees rejected or vice versa.
//    Positions not covered by any segment are padding; their outputs are undefined.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard::model {

struct WIZARD_API Segment {
  int64_t start = 0;   // first position in the row
  int64_t length = 0;  // number of tokens
  // Index, in the same row's segment list, of an earlier segment whose tokens precede this
  // one's (e.g. the prompt of a completion); -1 for an independent sequence.
  int64_t prefix = -1;
};

using RowSegments = std::vector<Segment>;

class WIZARD_API AttentionLayout {
 public:
  enum class Kind { padded, segmented };

  // Rows padded left or right: attention_mask [R,T] of 0/1 (any integer or bool dtype).
  static AttentionLayout padded(const at::Tensor& attention_mask);
  // Rows of segments; `rows[r]` lists row r's segments (any order of start positions, no
  // overlaps, a prefix index always smaller than the segment's own index).
  static AttentionLayout segmented(std::vector<RowSegments> rows, int64_t row_length);
  // Independent sequences back to back from position 0: lengths[r] are row r's sequences.
  static AttentionLayout packed(const std::vector<std::vector<int64_t>>& lengths,
                                int64_t row_length);

  Kind kind() const { return kind_; }
  int64_t rows() const { return rows_; }
  int64_t row_length() const { return row_length_; }
  // The padded layout's mask as given.
  const at::Tensor& attention_mask() const;
  // The segmented layout's segments.
  const std::vector<RowSegments>& segments() const;
  // The prefix chain of segment `index` in row `row`, outermost first, without itself.
  std::vector<int64_t> prefix_chain(int64_t row, int64_t index) const;

  // The positions the layout implies, [R,T] int64 on `device`. Padded: cumsum(mask) - 1 and
  // 1 on padding (as transformers' generate()); segmented: counting from 0 in each
  // independent sequence and on after the prefix chain, 0 outside segments.
  at::Tensor position_ids(at::Device device = at::kCPU) const;
  // Which positions hold tokens, [R,T] bool on `device`.
  at::Tensor token_mask(at::Device device = at::kCPU) const;

 private:
  AttentionLayout() = default;
  Kind kind_ = Kind::padded;
  int64_t rows_ = 0;
  int64_t row_length_ = 0;
  at::Tensor attention_mask_;
  std::vector<RowSegments> segments_;
};

}  // namespace wizard::model
