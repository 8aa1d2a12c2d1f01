#include <gtest/gtest.h>

#include "wizard/base/text.hpp"

using wizard::edit_distance;
using wizard::nearest_name;

TEST(Text, EditDistanceCountsSingleEdits) {
  EXPECT_EQ(edit_distance("beta", "beta"), 0u);
  EXPECT_EQ(edit_distance("lerning_rate", "learning_rate"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("jsnol", "jsonl"), 1u);  // a swap of neighbours is one edit
}

TEST(Text, NearestNameSuggestsTyposOnly) {
  const std::vector<std::string> keys{"learning_rate", "beta", "loss_type"};
  EXPECT_EQ(nearest_name("lerning_rate", keys).value(), "learning_rate");
  EXPECT_EQ(nearest_name("los_type", keys).value(), "loss_type");
  EXPECT_FALSE(nearest_name("completely_different", keys).has_value());
  EXPECT_EQ(nearest_name("jsnol", {"json", "jsonl"}).value(), "jsonl");
}
