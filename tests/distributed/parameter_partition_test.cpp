// Which rank owns which parameter under sharded optimizer state: whole tensors, largest
// first to the lightest rank, the same answer every time.
#include <gtest/gtest.h>

#include "wizard/distributed/parameter_partition.hpp"

namespace {

using wizard::distributed::partition_parameters;
using Owners = std::vector<int64_t>;

TEST(PartitionParameters, LargestFirstToTheLightestRank) {
  // Sizes 5, 9, 2, 7, 3 on 2 ranks: 9 -> r0 (9), 7 -> r1 (7), 5 -> r1 (12), 3 -> r0 (12),
  // 2 -> r0 (14; tie at 12, lowest rank).
  EXPECT_EQ(partition_parameters({5, 9, 2, 7, 3}, 2), Owners({1, 0, 0, 1, 0}));
  // On 3 ranks: 9 -> r0, 7 -> r1, 5 -> r2, 3 -> r2 (8), 2 -> r1 (9).
  EXPECT_EQ(partition_parameters({5, 9, 2, 7, 3}, 3), Owners({2, 0, 1, 1, 2}));
}

TEST(PartitionParameters, EqualSizesGoRoundRobinInParameterOrder) {
  EXPECT_EQ(partition_parameters({4, 4, 4, 4, 4}, 2), Owners({0, 1, 0, 1, 0}));
  EXPECT_EQ(partition_parameters({4, 4}, 3), Owners({0, 1}));  // rank 2 owns nothing
  EXPECT_EQ(partition_parameters({}, 2), Owners({}));
}

TEST(PartitionParameters, OneRankOwnsEverything) {
  EXPECT_EQ(partition_parameters({3, 1, 2}, 1), Owners({0, 0, 0}));
}

TEST(PartitionParameters, RefusesANonPositiveWorldSize) {
  EXPECT_THROW(partition_parameters({1}, 0), std::exception);
}

}  // namespace
