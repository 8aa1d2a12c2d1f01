// Example orders and batches for the samplers (plugins/samplers/*). Every
// function is pure: the same input gives the same batches, so a resumed run
// recomputes the batches of any epoch.
#pragma once

#include <cstdint>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard {

using Batches = std::vector<std::vector<std::int64_t>>;

// 0, 1, ..., n-1.
WIZARD_API std::vector<std::int64_t> sequential_order(std::int64_t n);

// A permutation of 0..n-1 drawn from (seed, epoch):
// NumPy's default_rng([seed, epoch]).permutation(n).
WIZARD_API std::vector<std::int64_t> random_order(std::int64_t n, std::uint64_t seed,
                                                  std::int64_t epoch);

// transformers' get_length_grouped_indices: a random permutation (as
// random_order) cut into megabatches of mega_batch_mult * batch_size, each
// sorted by length, longest first (stable); then the megabatch holding the
// longest example swaps its first element with the first megabatch's, so the
// longest example comes first. mega_batch_mult 0 picks transformers' default,
// min(n / (4 * batch_size), 50), at least 1.
WIZARD_API std::vector<std::int64_t> length_grouped_order(const std::vector<std::int64_t>& lengths,
                                                          std::int64_t batch_size,
                                                          std::uint64_t seed, std::int64_t epoch,
                                                          std::int64_t mega_batch_mult = 0);

// Consecutive batches of `batch_size` from `order`; the last one is shorter
// unless drop_last drops it (HF's dataloader_drop_last).
WIZARD_API Batches make_batches(const std::vector<std::int64_t>& order, std::int64_t batch_size,
                                bool drop_last);

}  // namespace wizard
