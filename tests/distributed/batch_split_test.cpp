// How a global micro-batch is shared among the ranks: counts within one, tokens balanced,
// batch order kept, the same answer every time.
#include <gtest/gtest.h>

#include <algorithm>

#include "wizard/distributed/batch_split.hpp"

namespace {

using wizard::distributed::split_batch;
using Shares = std::vector<std::vector<int64_t>>;

TEST(SplitBatch, EqualLengthsGiveEqualCountsInBatchOrder) {
  // All examples alike: round by round each goes to the emptiest rank, lowest rank first.
  EXPECT_EQ(split_batch({10, 11, 12, 13, 14, 15}, {}, 2), Shares({{10, 12, 14}, {11, 13, 15}}));
  EXPECT_EQ(split_batch({10, 11, 12, 13, 14, 15}, {}, 3), Shares({{10, 13}, {11, 14}, {12, 15}}));
}

TEST(SplitBatch, BalancesTokensWithinTheCounts) {
  // Longest first to the rank with the fewest tokens that has room (3 each):
  // 9 -> r0 (9), 8 -> r1 (8), 7 -> r1 (15), 3 -> r0 (12), 2 -> r0 (14), 1 -> r1 (16).
  const std::vector<int64_t> batch = {0, 1, 2, 3, 4, 5};
  const std::vector<int64_t> tokens = {1, 9, 2, 8, 3, 7};
  EXPECT_EQ(split_batch(batch, tokens, 2), Shares({{1, 2, 4}, {0, 3, 5}}));
}

TEST(SplitBatch, UnevenCountsGoToTheFirstRanksAndSomeMayGetNothing) {
  EXPECT_EQ(split_batch({4, 5, 6, 7, 8}, {}, 2), Shares({{4, 6, 8}, {5, 7}}));
  EXPECT_EQ(split_batch({4, 5}, {}, 3), Shares({{4}, {5}, {}}));
  EXPECT_EQ(split_batch({}, {}, 2), Shares({{}, {}}));
}

TEST(SplitBatch, EveryExampleExactlyOnce) {
  std::vector<int64_t> batch, tokens;
  for (int64_t i = 0; i < 37; ++i) {
    batch.push_back(100 + i);
    tokens.push_back((i * 7919) % 53 + 1);
  }
  const Shares shares = split_batch(batch, tokens, 4);
  std::vector<int64_t> all;
  for (const auto& share : shares) {
    EXPECT_GE(share.size(), 9u);
    EXPECT_LE(share.size(), 10u);
    all.insert(all.end(), share.begin(), share.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, batch);
  EXPECT_EQ(split_batch(batch, tokens, 4), shares);  // a pure function
}

}  // namespace
