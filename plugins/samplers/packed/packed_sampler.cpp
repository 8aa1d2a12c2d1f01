// packed: micro-batches filled up to a token budget instead of a fixed number of examples,
// for padding-free training, where a micro-batch is one packed row and its cost follows its
// tokens. Examples are bucketed by length, so a batch holds examples of similar length; the
// order is drawn from the run's seed and the epoch, so resumed runs see the same batches.
// The cpo recipe's default when padding_free is on (its default).
//
//   [sampler]
//   spec_class = "packed"
//   max_tokens_per_batch = 4096   # default: per_device_train_batch_size x the longest example
//   bucket_size = 256             # examples sorted by length together
//   seed = 1234                   # optional: instead of training_args_spec.seed
#include <algorithm>
#include <optional>

#include "token_budget_batches.hpp"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/sampler.hpp"

namespace {

class PackedSampler : public wizard::Sampler {
 public:
  static constexpr const char* kSummary =
      "batches filled up to a token budget, bucketed by length (padding-free training)";

  static wizard::OptionDocs options() {
    return {{"max_tokens_per_batch", "int", "",
             "token budget of a micro-batch (an example's tokens: the longer of chosen and "
             "rejected); default: per_device_train_batch_size x the longest example"},
            {"bucket_size", "int", "256",
             "examples sorted by length together; larger packs tighter, smaller mixes more"},
            {"seed", "int", "", "the shuffle's seed; default: the run's seed"}};
  }

  PackedSampler(const wizard::Config& config, wizard::PluginHost&)
      : budget_(config.optional<std::int64_t>("max_tokens_per_batch")),
        bucket_size_(config.get<std::int64_t>("bucket_size", 256)),
        seed_(config.optional<std::int64_t>("seed")) {
    if (budget_ && *budget_ < 1) config.fail("max_tokens_per_batch", "must be 1 or more");
    if (bucket_size_ < 1) config.fail("bucket_size", "must be 1 or more");
    if (seed_ && *seed_ < 0) config.fail("seed", "must be 0 or more");
  }

  wizard::packing::Batches batches(const wizard::SamplerInput& input) override {
    const std::uint64_t seed = seed_ ? static_cast<std::uint64_t>(*seed_) : input.seed;
    return wizard::packing::token_budget_batches(input.lengths, budget(input), bucket_size_, seed,
                                                 input.epoch);
  }

 private:
  // At most what the padded batch of the batch_size longest examples holds, so a packed
  // micro-batch never needs more memory than the padded path's largest one.
  std::int64_t budget(const wizard::SamplerInput& input) const {
    if (budget_) return *budget_;
    std::int64_t longest = 1;
    for (const std::int64_t length : input.lengths) longest = std::max(longest, length);
    return input.batch_size * longest;
  }

  std::optional<std::int64_t> budget_;
  std::int64_t bucket_size_;
  std::optional<std::int64_t> seed_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_SAMPLER(PackedSampler, packed)
