// mixed: each step, round(hard_negative_ratio x K) negatives chosen as the hard strategy
// chooses them (hard candidates, topped up by the policy's most likely wrong answers), the
// rest drawn uniformly from what is left of the pool.
//
//   [training_args_spec]
//   num_negatives = 4
//   negative_sampling_strategy = "mixed"
//   hard_negative_ratio = 0.5            # 2 hard + 2 random
//   hard_negative_refresh_steps = 50
#include <cmath>

#include "wizard/plugin/export.hpp"
#include "wizard/plugin/negative_choice.hpp"

namespace {

class MixedNegatives : public wizard::NegativeSampler {
 public:
  static constexpr const char* kSummary =
      "round(hard_negative_ratio x K) hard negatives per example, the rest random";
  static wizard::OptionDocs options() {
    return {{"hard_negative_ratio", "float", "0.5", "the share of the K negatives that are hard"},
            {"hard_negative_refresh_steps", "int", "50",
             "optimizer steps between the policy's scorings of an example's pool"}};
  }
  MixedNegatives(const wizard::Config& config, wizard::PluginHost&)
      : ratio_(config.get<double>("hard_negative_ratio", 0.5)),
        refresh_(config.get<std::int64_t>("hard_negative_refresh_steps", 50)) {
    if (!(ratio_ >= 0 && ratio_ <= 1)) config.fail("hard_negative_ratio", "must be in [0, 1]");
    if (refresh_ < 1) config.fail("hard_negative_refresh_steps", "must be 1 or more");
  }

  bool uses_policy_scores(const std::vector<wizard::NegativeCandidate>& pool,
                          std::int64_t k) const override {
    const wizard::NegativeChoice choice(pool, 0);
    return choice.hard_count() < hard_share(k) &&
           static_cast<std::int64_t>(pool.size()) > choice.hard_count();
  }
  std::int64_t policy_score_refresh_steps() const override { return refresh_; }

  std::vector<std::int64_t> choose(const std::vector<wizard::NegativeCandidate>& pool,
                                   std::int64_t k, std::uint64_t seed) const override {
    wizard::NegativeChoice choice(pool, seed);
    choice.take_hard(hard_share(k));
    choice.take_random(k - static_cast<std::int64_t>(choice.taken().size()));
    return choice.taken();
  }

 private:
  std::int64_t hard_share(std::int64_t k) const {
    return static_cast<std::int64_t>(std::llround(ratio_ * static_cast<double>(k)));
  }
  double ratio_;
  std::int64_t refresh_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_NEGATIVE_SAMPLER(MixedNegatives, mixed)
