// How the examples of one global micro-batch are shared among the ranks: every rank gets
// floor(n / world) or one more example (the first n % world ranks), and examples go, longest
// first, to the rank with the fewest tokens so far that still has room, so that the ranks'
// token counts (and so their step times) stay balanced. A pure function of its arguments:
// every rank computes every share the same way, and a resumed run gets the same shares.
// Each share keeps the examples in their order in the batch.
#pragma once

#include <cstdint>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard::distributed {

// `tokens[i]` is the size of batch[i] (empty: all the same). Returns one share per rank.
WIZARD_API std::vector<std::vector<int64_t>> split_batch(const std::vector<int64_t>& batch,
                                                         const std::vector<int64_t>& tokens,
                                                         int64_t world_size);

}  // namespace wizard::distributed
