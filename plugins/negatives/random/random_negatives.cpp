// random: each step, K negatives drawn uniformly from the example's pool (its rejected answer,
// negatives and hard_negatives columns, mined negatives, and with in_batch_negatives the other
// prompts' chosen answers), without repeats; an example with fewer uses all it has.
//
//   [training_args_spec]
//   num_negatives = 3
//   negative_sampling_strategy = "random"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/negative_choice.hpp"

namespace {

class RandomNegatives : public wizard::NegativeSampler {
 public:
  static constexpr const char* kSummary = "K negatives drawn uniformly from each example's pool";
  static wizard::OptionDocs options() { return {}; }
  RandomNegatives(const wizard::Config&, wizard::PluginHost&) {}

  bool uses_policy_scores(const std::vector<wizard::NegativeCandidate>&,
                          std::int64_t) const override {
    return false;
  }

  std::vector<std::int64_t> choose(const std::vector<wizard::NegativeCandidate>& pool,
                                   std::int64_t k, std::uint64_t seed) const override {
    wizard::NegativeChoice choice(pool, seed);
    choice.take_random(k);
    return choice.taken();
  }
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_NEGATIVE_SAMPLER(RandomNegatives, random)
