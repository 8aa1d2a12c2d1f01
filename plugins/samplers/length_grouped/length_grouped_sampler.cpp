// length_grouped: Hugging Face's LengthGroupedSampler (group_by_length): a
// seeded shuffle per epoch, cut into megabatches of mega_batch_mult batches,
// each sorted longest first, with the longest example in the first batch (so
// running out of memory happens at once, not hours in). Batches hold examples
// of similar length, which wastes less padding.
//
//   [sampler]
//   spec_class = "length_grouped"
//   mega_batch_mult = 0   # 0: min(n / (4 * batch_size), 50), as transformers
//   drop_last = false
#include "wizard/data/sampling.hpp"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/sampler.hpp"

namespace {

class LengthGroupedSampler : public wizard::Sampler {
 public:
  static constexpr const char* kSummary =
      "batches of similar length, longest first (HF's group_by_length)";

  static wizard::OptionDocs options() {
    return {{"mega_batch_mult", "int", "0",
             "batches per sorted megabatch; 0: min(n / (4 * batch_size), 50)"},
            {"drop_last", "bool", "false", "drop the last batch when it is not full"},
            {"seed", "int", "", "the shuffle's seed; default: the run's seed"}};
  }

  LengthGroupedSampler(const wizard::Config& config, wizard::PluginHost&)
      : mega_batch_mult_(config.get<std::int64_t>("mega_batch_mult", 0)),
        drop_last_(config.get<bool>("drop_last", false)),
        seed_(config.optional<std::int64_t>("seed")) {
    if (mega_batch_mult_ < 0) config.fail("mega_batch_mult", "must be 0 (automatic) or more");
    if (seed_ && *seed_ < 0) config.fail("seed", "must be 0 or more");
  }

  wizard::Batches batches(const wizard::SamplerInput& input) override {
    const std::uint64_t seed = seed_ ? static_cast<std::uint64_t>(*seed_) : input.seed;
    return wizard::make_batches(wizard::length_grouped_order(input.lengths, input.batch_size, seed,
                                                             input.epoch, mega_batch_mult_),
                                input.batch_size, drop_last_);
  }

 private:
  std::int64_t mega_batch_mult_;
  bool drop_last_;
  std::optional<std::int64_t> seed_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_SAMPLER(LengthGroupedSampler, length_grouped)
