// The packed sampler, loaded through the host's registry from the build's plugin folder.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "plugin_registry.hpp"
#include "test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/plugin/sampler.hpp"

namespace wizard {
namespace {

using Batches = std::vector<std::vector<std::int64_t>>;

core::PluginRegistry& registry() {
  static core::PluginRegistry loaded({test::plugin_dir()});
  return loaded;
}

std::shared_ptr<Sampler> packed(ConfigValue::Table options = {}) {
  return registry().create<Sampler>("packed", Config(ConfigValue::table(std::move(options))));
}

// 200 examples of lengths 1..60 in a scrambled order.
SamplerInput input_of(std::int64_t epoch) {
  SamplerInput input;
  for (std::int64_t i = 0; i < 200; ++i) input.lengths.push_back(1 + (i * 37) % 60);
  input.batch_size = 2;
  input.seed = 7;
  input.epoch = epoch;
  return input;
}

std::int64_t tokens(const std::vector<std::int64_t>& batch, const SamplerInput& input) {
  std::int64_t total = 0;
  for (const std::int64_t i : batch) total += input.lengths[static_cast<std::size_t>(i)];
  return total;
}

void expect_every_example_once(const Batches& batches, std::size_t n) {
  std::vector<std::int64_t> all;
  for (const auto& batch : batches) all.insert(all.end(), batch.begin(), batch.end());
  std::sort(all.begin(), all.end());
  std::vector<std::int64_t> expected(n);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);
}

TEST(PackedSampler, FillsBatchesUpToBatchSizeTimesTheLongestExample) {
  const SamplerInput input = input_of(0);
  const Batches batches = packed()->batches(input);
  expect_every_example_once(batches, input.lengths.size());
  const std::int64_t budget = 2 * 60;
  std::int64_t total = 0;
  for (const auto& batch : batches) {
    EXPECT_LE(tokens(batch, input), budget);
    total += tokens(batch, input);
  }
  // Sorted buckets pack tightly: on average well over half the budget is used.
  EXPECT_GT(static_cast<double>(total) / static_cast<double>(batches.size()), 0.8 * budget);
  // More than batch_size examples fit when they are short.
  const auto most =
      std::max_element(batches.begin(), batches.end(),
                       [](const auto& a, const auto& b) { return a.size() < b.size(); });
  EXPECT_GT(most->size(), 2u);
}

TEST(PackedSampler, TheBatchWithTheMostTokensComesFirst) {
  const SamplerInput input = input_of(3);
  const Batches batches = packed()->batches(input);
  for (const auto& batch : batches) EXPECT_LE(tokens(batch, input), tokens(batches[0], input));
}

TEST(PackedSampler, BatchesHoldExamplesOfSimilarLength) {
  SamplerInput input = input_of(0);
  // One bucket: the whole epoch sorted by length, so batches cover disjoint length ranges.
  const Batches batches = packed({{"bucket_size", ConfigValue::integer(1000)}})->batches(input);
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
  for (const auto& batch : batches) {
    std::int64_t low = 1000, high = 0;
    for (const std::int64_t i : batch) {
      low = std::min(low, input.lengths[static_cast<std::size_t>(i)]);
      high = std::max(high, input.lengths[static_cast<std::size_t>(i)]);
    }
    ranges.emplace_back(low, high);
  }
  for (const auto& a : ranges) {
    for (const auto& b : ranges) {
      EXPECT_TRUE(a.second <= b.first || b.second <= a.first || a == b)
          << "lengths " << a.first << "-" << a.second << " and " << b.first << "-" << b.second;
    }
  }
}

TEST(PackedSampler, SameSeedAndEpochGiveTheSameBatchesForResume) {
  const auto sampler = packed();
  EXPECT_EQ(sampler->batches(input_of(1)), packed()->batches(input_of(1)));
  EXPECT_NE(sampler->batches(input_of(1)), sampler->batches(input_of(2)));
  SamplerInput other_seed = input_of(1);
  other_seed.seed = 8;
  EXPECT_NE(sampler->batches(input_of(1)), sampler->batches(other_seed));
  // The sampler's own seed wins over the run's.
  const auto seeded = packed({{"seed", ConfigValue::integer(8)}});
  EXPECT_EQ(seeded->batches(input_of(1)), sampler->batches(other_seed));
}

TEST(PackedSampler, AnExplicitBudgetAndOversizedExamples) {
  SamplerInput input = input_of(0);
  input.lengths[5] = 500;  // longer than any budget below: a batch of its own
  const Batches batches =
      packed({{"max_tokens_per_batch", ConfigValue::integer(90)}})->batches(input);
  expect_every_example_once(batches, input.lengths.size());
  for (const auto& batch : batches) {
    if (std::find(batch.begin(), batch.end(), 5) != batch.end()) {
      EXPECT_EQ(batch.size(), 1u);
    } else {
      EXPECT_LE(tokens(batch, input), 90);
    }
  }
  EXPECT_EQ(batches[0], (std::vector<std::int64_t>{5}));
}

TEST(PackedSampler, BadOptionsAreConfigErrors) {
  EXPECT_THROW(packed({{"max_tokens_per_batch", ConfigValue::integer(0)}}), ConfigError);
  EXPECT_THROW(packed({{"bucket_size", ConfigValue::integer(0)}}), ConfigError);
  EXPECT_THROW(packed({{"max_tokens", ConfigValue::integer(10)}}), ConfigError);
}

}  // namespace
}  // namespace wizard
