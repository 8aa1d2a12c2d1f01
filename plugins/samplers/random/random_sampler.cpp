// random: every epoch a fresh shuffle of all examples, drawn from the run's
// seed and the epoch (NumPy's default_rng([seed, epoch]).permutation(n)), cut
// into batches, as Hugging Face's trainer shuffles. The cpo recipe's default with
// padding_free = false (TRL's padded batches); packed rows use the packed sampler.
//
//   [sampler]
//   spec_class = "random"
//   drop_last = false    # HF's dataloader_drop_last
//   seed = 1234          # optional: instead of training_args_spec.seed (HF's data_seed)
#include "wizard/data/sampling.hpp"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/sampler.hpp"

namespace {

class RandomSampler : public wizard::Sampler {
 public:
  static constexpr const char* kSummary =
      "a new seeded shuffle every epoch (HF's order; the default for padded batches)";

  static wizard::OptionDocs options() {
    return {{"drop_last", "bool", "false", "drop the last batch when it is not full"},
            {"seed", "int", "", "the shuffle's seed; default: the run's seed"}};
  }

  RandomSampler(const wizard::Config& config, wizard::PluginHost&)
      : drop_last_(config.get<bool>("drop_last", false)),
        seed_(config.optional<std::int64_t>("seed")) {
    if (seed_ && *seed_ < 0) config.fail("seed", "must be 0 or more");
  }

  wizard::Batches batches(const wizard::SamplerInput& input) override {
    const std::uint64_t seed = seed_ ? static_cast<std::uint64_t>(*seed_) : input.seed;
    const auto n = static_cast<std::int64_t>(input.lengths.size());
    return wizard::make_batches(wizard::random_order(n, seed, input.epoch), input.batch_size,
                                drop_last_);
  }

 private:
  bool drop_last_;
  std::optional<std::int64_t> seed_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_SAMPLER(RandomSampler, random)
