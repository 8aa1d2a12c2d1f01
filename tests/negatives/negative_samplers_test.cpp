// The built-in negative samplers (random, hard, mixed), loaded through the host's registry:
// what each takes from a pool, determinism for a seed, uniformity, the policy-score top-up,
// pools smaller than K, and their options.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "config_files.hpp"
#include "plugin_registry.hpp"
#include "test_support.hpp"
#include "wizard/plugin/negative_choice.hpp"
#include "wizard/plugin/negative_sampler.hpp"

namespace wizard {
namespace {

constexpr double kUnscored = std::numeric_limits<double>::quiet_NaN();

core::PluginRegistry& registry() {
  static core::PluginRegistry loaded({test::plugin_dir()});
  return loaded;
}

std::shared_ptr<NegativeSampler> sampler(const std::string& name, const std::string& toml = "") {
  return registry().create<NegativeSampler>(name, Config(core::read_toml(toml, "options.toml")));
}

// Candidates 0..n-1; those in `hard` are hard; scores[i] the policy score (NaN: none).
std::vector<NegativeCandidate> pool_of(std::size_t n, std::set<std::size_t> hard = {},
                                       std::vector<double> scores = {}) {
  std::vector<NegativeCandidate> pool(n);
  for (std::size_t i = 0; i < n; ++i) {
    pool[i].source = i == 0 ? NegativeSource::rejected : NegativeSource::listed;
    pool[i].hard = hard.count(i) > 0;
    pool[i].policy_score = i < scores.size() ? scores[i] : kUnscored;
  }
  return pool;
}

std::set<std::int64_t> as_set(const std::vector<std::int64_t>& v) {
  return {v.begin(), v.end()};
}

TEST(NegativeSamplers, RandomTakesKDistinctUniformlyAndRepeatsForASeed) {
  const auto random = sampler("random");
  const auto pool = pool_of(6);
  EXPECT_FALSE(random->uses_policy_scores(pool, 3));
  EXPECT_EQ(random->choose(pool, 3, 42), random->choose(pool, 3, 42));
  EXPECT_NE(random->choose(pool, 3, 42), random->choose(pool, 3, 43));
  // Over many seeds each candidate is taken about K/n = 1/2 of the time.
  std::map<std::int64_t, int> taken;
  const int draws = 6000;
  for (int seed = 0; seed < draws; ++seed) {
    const auto chosen = random->choose(pool, 3, static_cast<std::uint64_t>(seed));
    ASSERT_EQ(as_set(chosen).size(), 3u);
    for (auto i : chosen) ++taken[i];
  }
  for (int i = 0; i < 6; ++i) {
    // Binomial(6000, 1/2): sd 39; 5 sd = 194.
    EXPECT_NEAR(taken[i], draws / 2, 200) << "candidate " << i;
  }
}

TEST(NegativeSamplers, APoolSmallerThanKIsUsedWhole) {
  for (const char* name : {"random", "hard", "mixed"}) {
    SCOPED_TRACE(name);
    const auto pool = pool_of(2, {1}, {-1.0, -2.0});
    EXPECT_EQ(as_set(sampler(name)->choose(pool, 5, 7)), (std::set<std::int64_t>{0, 1}));
  }
}

TEST(NegativeSamplers, HardTakesHardCandidatesThenThePolicysMostLikely) {
  const auto hard = sampler("hard", "hard_negative_refresh_steps = 7");
  EXPECT_EQ(hard->policy_score_refresh_steps(), 7);
  // Candidates 2 and 4 are hard; the policy likes 3 best, then 1, then 0 and 5.
  const auto pool = pool_of(6, {2, 4}, {-3.0, -1.5, -9.0, -0.5, -9.0, -3.0});
  EXPECT_TRUE(hard->uses_policy_scores(pool, 3));   // two hard ones are not enough for three
  EXPECT_FALSE(hard->uses_policy_scores(pool, 2));  // enough hard ones: no scoring needed
  EXPECT_EQ(as_set(hard->choose(pool, 2, 1)), (std::set<std::int64_t>{2, 4}));
  const auto three = hard->choose(pool, 3, 1);
  EXPECT_EQ(as_set(three), (std::set<std::int64_t>{2, 4, 3}));
  EXPECT_EQ(three.back(), 3);  // the top-up comes after the hard ones
  EXPECT_EQ(as_set(hard->choose(pool, 4, 1)), (std::set<std::int64_t>{2, 4, 3, 1}));
  // Of more hard candidates than K, a seeded uniform draw.
  const auto all_hard = pool_of(5, {0, 1, 2, 3, 4});
  std::set<std::set<std::int64_t>> seen;
  for (std::uint64_t seed = 0; seed < 50; ++seed)
    seen.insert(as_set(hard->choose(all_hard, 2, seed)));
  EXPECT_EQ(seen.size(), 10u);  // every one of the C(5, 2) pairs occurs
}

TEST(NegativeSamplers, MixedTakesItsShareHardAndTheRestAtRandom) {
  const auto mixed = sampler("mixed", "hard_negative_ratio = 0.5");
  // K = 4: round(0.5 x 4) = 2 hard (only one is hard: topped up by the best score), 2 random.
  const auto pool = pool_of(8, {5}, {-4.0, -1.0, -5.0, -6.0, -7.0, -9.0, -8.0, -2.0});
  EXPECT_TRUE(mixed->uses_policy_scores(pool, 4));
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const auto chosen = mixed->choose(pool, 4, seed);
    ASSERT_EQ(chosen.size(), 4u);
    EXPECT_EQ(chosen[0], 5);  // the hard one
    EXPECT_EQ(chosen[1], 1);  // the policy's favourite
    EXPECT_EQ(as_set(chosen).size(), 4u);
  }
  // ratio 0: plain random; ratio 1: the hard strategy.
  EXPECT_FALSE(sampler("mixed", "hard_negative_ratio = 0.0")->uses_policy_scores(pool, 4));
  EXPECT_EQ(as_set(sampler("mixed", "hard_negative_ratio = 1.0")->choose(pool, 2, 3)),
            (std::set<std::int64_t>{5, 1}));
}

TEST(NegativeSamplers, OptionsAreChecked) {
  EXPECT_NE(test::config_error_of([] {
              sampler("mixed", "hard_negative_ratio = 1.5");
            }).find("options.toml:1:23: hard_negative_ratio: must be in [0, 1]"),
            std::string::npos);
  EXPECT_NE(test::config_error_of([] {
              sampler("hard", "hard_negative_refresh_steps = 0");
            }).find("must be 1 or more"),
            std::string::npos);
  EXPECT_NE(test::config_error_of([] {
              sampler("random", "hard_negative_ratio = 0.5");
            }).find("unknown key 'hard_negative_ratio'"),
            std::string::npos);
}

TEST(NegativeChoice, UnscoredCandidatesComeLastInTheTopUp) {
  const auto pool = pool_of(3, {}, {kUnscored, -5.0, -1.0});
  NegativeChoice choice(pool, 0);
  choice.take_hard(3);
  EXPECT_EQ(choice.taken(), (std::vector<std::int64_t>{2, 1, 0}));
}

}  // namespace
}  // namespace wizard
