// Which rank owns which trainable parameter under sharded optimizer state (ZeRO stage 1,
// `optimizer_sharding`, issue 12; sdk/src/train/data_parallel.cpp uses it). Whole tensors, never
// slices: an owner steps its tensors with any optimizer built over them. Largest first, each to the
// rank with the fewest elements so far (the lowest rank on a tie; equal sizes in parameter order):
// a pure function of the sizes, so every rank, and a resumed run on the same number of ranks,
// computes the same owners.
#pragma once

#include <cstdint>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard::distributed {

// `numels[i]` is the element count of parameter i. Returns the owning rank of each parameter.
WIZARD_API std::vector<int64_t> partition_parameters(const std::vector<int64_t>& numels,
                                                     int64_t world_size);

}  // namespace wizard::distributed
