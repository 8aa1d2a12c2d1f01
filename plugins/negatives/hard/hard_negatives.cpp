// hard: each step, K negatives from the example's hard candidates — its hard_negatives column
// and mined negatives — drawn uniformly when there are more; when there are fewer, topped up
// by the other candidates the current policy scores highest (mean log-probability per answer
// token: the wrong answers it finds most likely). Policy scores come from a no-grad pass over
// the pool, refreshed every hard_negative_refresh_steps optimizer steps.
//
//   [training_args_spec]
//   num_negatives = 3
//   negative_sampling_strategy = "hard"
//   hard_negative_refresh_steps = 50
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/negative_choice.hpp"

namespace {

class HardNegatives : public wizard::NegativeSampler {
 public:
  static constexpr const char* kSummary =
      "K hard negatives per example, topped up by the policy's most likely wrong answers";
  static wizard::OptionDocs options() {
    return {{"hard_negative_refresh_steps", "int", "50",
             "optimizer steps between the policy's scorings of an example's pool"}};
  }
  HardNegatives(const wizard::Config& config, wizard::PluginHost&)
      : refresh_(config.get<std::int64_t>("hard_negative_refresh_steps", 50)) {
    if (refresh_ < 1) config.fail("hard_negative_refresh_steps", "must be 1 or more");
  }

  bool uses_policy_scores(const std::vector<wizard::NegativeCandidate>& pool,
                          std::int64_t k) const override {
    const wizard::NegativeChoice choice(pool, 0);
    return choice.hard_count()<k&& static_cast<std::int64_t>(pool.size())> choice.hard_count();
  }
  std::int64_t policy_score_refresh_steps() const override { return refresh_; }

  std::vector<std::int64_t> choose(const std::vector<wizard::NegativeCandidate>& pool,
                                   std::int64_t k, std::uint64_t seed) const override {
    wizard::NegativeChoice choice(pool, seed);
    choice.take_hard(k);
    return choice.taken();
  }

 private:
  std::int64_t refresh_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_NEGATIVE_SAMPLER(HardNegatives, hard)
