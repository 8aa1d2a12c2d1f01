// Mining under data parallel: the rows of a stage (answers to embed, queries to search,
// examples to score) each rank computes — contiguous and as even as can be — and every rank's
// rows put back together, in order, on every rank.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "wizard/plugin/negative_miner.hpp"

namespace wizard::mining {

struct RowShare {
  std::int64_t first = 0;  // this rank's rows: [first, first + count)
  std::int64_t count = 0;
};

// This rank's share of `rows` (all of them in one process).
RowShare row_share(std::int64_t rows, const MiningInput& input);

// [rows, ...] on `mine`'s device: each rank's `mine` (its share's rows) in rank order.
// Every rank must call it, with tensors of the same dtype and trailing sizes.
at::Tensor gather_rows(const at::Tensor& mine, std::int64_t rows, const MiningInput& input);

// Rank 0's `tensor` on every rank (the others pass one of the same shape and dtype).
at::Tensor from_rank_zero(const at::Tensor& tensor, const MiningInput& input);

}  // namespace wizard::mining
