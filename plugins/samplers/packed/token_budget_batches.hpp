// Micro-batches filled up to a token budget, for packed (padding-free) rows: a seeded
// shuffle per epoch, cut into buckets of `bucket_size` examples, each sorted longest first
// and cut greedily into batches whose lengths sum to at most the budget (an example longer
// than the budget gets a batch of its own). The batches are then shuffled, and the one
// with the most tokens goes first, so running out of memory happens at once, not hours in.
//
// A pure function of its arguments: the same (seed, epoch) gives the same batches, so a
// resumed run recomputes them.
#pragma once

#include <cstdint>
#include <vector>

namespace wizard::packing {

using Batches = std::vector<std::vector<std::int64_t>>;

Batches token_budget_batches(const std::vector<std::int64_t>& lengths, std::int64_t budget,
                             std::int64_t bucket_size, std::uint64_t seed, std::int64_t epoch);

}  // namespace wizard::packing
