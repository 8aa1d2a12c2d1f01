// NumPy's generator (reference values printed by NumPy 1.24.2:
// np.random.default_rng(entropy).permutation(n)), the samplers' orders and
// batching, and the validation split that follows HF's train_test_split.
#include <algorithm>
#include <set>

#include "data_test_util.hpp"
#include "wizard/data/numpy_random.hpp"
#include "wizard/data/sampling.hpp"
#include "wizard/data/validation_split.hpp"

namespace wizard {
namespace {

using Order = std::vector<std::int64_t>;

TEST(NumpyRandom, PermutationsMatchNumpy) {
  EXPECT_EQ(numpy_permutation(10, {42}), (Order{5, 6, 0, 7, 3, 2, 4, 9, 1, 8}));
  EXPECT_EQ(numpy_permutation(12, {7, 3}), (Order{4, 2, 5, 8, 7, 3, 11, 10, 0, 1, 9, 6}));
  EXPECT_EQ(numpy_permutation(5, {0}), (Order{2, 4, 3, 0, 1}));
  EXPECT_EQ(numpy_permutation(8, {(1ULL << 40) + 5}), (Order{1, 2, 5, 7, 0, 4, 6, 3}));
  const Order big = numpy_permutation(100000, {42});
  EXPECT_EQ(Order(big.begin(), big.begin() + 5), (Order{45262, 49850, 30394, 90177, 95569}));
  EXPECT_TRUE(numpy_permutation(0, {1}).empty());
}

TEST(NumpyRandom, RawOutputsMatchNumpy) {
  // default_rng(42).bit_generator.random_raw(2)
  NumpyPcg64 generator({42});
  EXPECT_EQ(generator.next_uint64(), 14276969152011380360ULL);
  EXPECT_EQ(generator.next_uint64(), 8095878257575067585ULL);
}

void expect_each_index_once(const Batches& batches, std::size_t n) {
  std::vector<std::int64_t> seen;
  for (const auto& batch : batches) seen.insert(seen.end(), batch.begin(), batch.end());
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, sequential_order(static_cast<std::int64_t>(n)));
}

TEST(Sampling, RandomOrderIsAPureFunctionOfSeedAndEpoch) {
  EXPECT_EQ(random_order(50, 7, 3), random_order(50, 7, 3));
  EXPECT_NE(random_order(50, 7, 3), random_order(50, 7, 4));
  EXPECT_NE(random_order(50, 7, 3), random_order(50, 8, 3));
  // default_rng([seed, epoch]): the same stream NumPy draws.
  EXPECT_EQ(random_order(12, 7, 3), numpy_permutation(12, {7, 3}));
  expect_each_index_once(make_batches(random_order(103, 1, 0), 8, false), 103);
}

TEST(Sampling, BatchesAndDropLast) {
  const Order order = sequential_order(7);
  EXPECT_EQ(make_batches(order, 3, false), (Batches{{0, 1, 2}, {3, 4, 5}, {6}}));
  EXPECT_EQ(make_batches(order, 3, true), (Batches{{0, 1, 2}, {3, 4, 5}}));
  EXPECT_EQ(make_batches(sequential_order(6), 3, true).size(), 2u);
  EXPECT_TRUE(make_batches({}, 3, false).empty());
  EXPECT_THROW(make_batches(order, 0, false), Error);
}

TEST(Sampling, LengthGroupedSortsMegabatchesLongestFirst) {
  std::vector<std::int64_t> lengths;
  for (int i = 0; i < 203; ++i) lengths.push_back((i * 37) % 101);
  const std::int64_t batch_size = 4;
  const Order order = length_grouped_order(lengths, batch_size, 11, 2);
  ASSERT_EQ(order.size(), lengths.size());
  expect_each_index_once(make_batches(order, batch_size, false), lengths.size());
  EXPECT_EQ(order, length_grouped_order(lengths, batch_size, 11, 2));
  EXPECT_NE(order, length_grouped_order(lengths, batch_size, 11, 3));
  // The longest example leads; transformers' default megabatch: min(203 / 16, 50) = 12 batches.
  EXPECT_EQ(lengths[order[0]], *std::max_element(lengths.begin(), lengths.end()));
  const std::size_t megabatch = 12 * batch_size;
  for (std::size_t start = 0; start < order.size(); start += megabatch) {
    const std::size_t end = std::min(order.size(), start + megabatch);
    for (std::size_t i = start + 2; i < end; ++i) {
      EXPECT_GE(lengths[order[i - 1]], lengths[order[i]]) << "position " << i;
    }
  }
}

TEST(Sampling, LengthGroupedFollowsTransformers) {
  // transformers' get_length_grouped_indices run in Python on NumPy's
  // default_rng([42, 0]).permutation(10) = [5, 6, 0, 7, 3, 2, 4, 9, 1, 8]
  // (equal to default_rng(42): NumPy's seed sequence ignores trailing zeros)
  // with mega_batch_mult 1 and batch size 2.
  const std::vector<std::int64_t> lengths{3, 9, 1, 9, 4, 4, 2, 8, 5, 7};
  EXPECT_EQ(random_order(10, 42, 0), (Order{5, 6, 0, 7, 3, 2, 4, 9, 1, 8}));
  EXPECT_EQ(length_grouped_order(lengths, 2, 42, 0, /*mega_batch_mult=*/1),
            (Order{3, 6, 7, 0, 5, 2, 9, 4, 1, 8}));
}

Dataset numbered(int n) {
  Dataset rows;
  for (int i = 0; i < n; ++i) rows.append(Row{{"i", i}}, RowOrigin{"d.jsonl", i + 1});
  return rows;
}

std::vector<int> ids(const Dataset& rows) {
  std::vector<int> out;
  for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(rows.row(i)["i"]);
  return out;
}

TEST(ValidationSplit, TakesTheRowsHfTrainTestSplitTakes) {
  // default_rng(42).permutation(10) = [5, 6, 0, 7, 3, 2, 4, 9, 1, 8].
  const auto by_rows = split_validation_rows(numbered(10), 3, 42);
  EXPECT_EQ(ids(*by_rows.validation), (std::vector<int>{5, 6, 0}));
  EXPECT_EQ(ids(by_rows.train), (std::vector<int>{7, 3, 2, 4, 9, 1, 8}));
  EXPECT_EQ(by_rows.validation->where(0), "d.jsonl:6");
  // 0.25 of 10 rounds up to 3 rows, as HF's ceil(test_size * n).
  EXPECT_EQ(ids(*split_validation_fraction(numbered(10), 0.25, 42).validation),
            (std::vector<int>{5, 6, 0}));
}

TEST(ValidationSplit, BadSizesSaySo) {
  EXPECT_CONTAINS(test::error_of([] { split_validation_rows(numbered(5), 5, 1); }),
                  "between 1 and 4");
  EXPECT_CONTAINS(test::error_of([] { split_validation_rows(numbered(5), 0, 1); }),
                  "between 1 and 4");
  EXPECT_CONTAINS(test::error_of([] { split_validation_fraction(numbered(5), 1.0, 1); }),
                  "between 0 and 1");
  EXPECT_CONTAINS(test::error_of([] { split_validation_fraction(numbered(2), 0.9, 1); }),
                  "no training rows would remain");
}

TEST(ValidationSplit, FromConfigTakesIntFloatOrDatasource) {
  const auto config_with = [](ConfigValue value) {
    ConfigValue root = ConfigValue::table();
    root.set("validation", std::move(value));
    return Config(std::move(root));
  };
  const auto no_loader = [](const Config&) -> Dataset { throw std::logic_error("not called"); };
  const Dataset train = numbered(10);
  EXPECT_FALSE(validation_from_config(train, Config(), "validation", 42, no_loader).validation);
  EXPECT_EQ(validation_from_config(train, config_with(ConfigValue::integer(3)), "validation", 42,
                                   no_loader)
                .validation->size(),
            3u);
  EXPECT_EQ(validation_from_config(train, config_with(ConfigValue::floating(0.5)), "validation", 42,
                                   no_loader)
                .train.size(),
            5u);
  const auto table = config_with(ConfigValue::table({{"spec_class", ConfigValue::string("x")}}));
  const auto loaded = validation_from_config(train, table, "validation", 42, [](const Config& t) {
    EXPECT_EQ(t.get<std::string>("spec_class", ""), "x");
    return numbered(2);
  });
  EXPECT_EQ(loaded.train.size(), 10u);
  EXPECT_EQ(loaded.validation->size(), 2u);
  EXPECT_CONTAINS(test::error_of([&] {
                    validation_from_config(train, config_with(ConfigValue::string("5")),
                                           "validation", 42, no_loader);
                  }),
                  "validation: must be a number of rows");
  EXPECT_THROW(validation_from_config(train, config_with(ConfigValue::integer(10)), "validation",
                                      42, no_loader),
               ConfigError);
}

}  // namespace
}  // namespace wizard
