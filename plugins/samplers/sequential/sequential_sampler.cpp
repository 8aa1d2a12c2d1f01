// sequential: the examples in dataset order, every epoch.
//
//   [sampler]
//   spec_class = "sequential"
//   drop_last = false
#include "wizard/data/sampling.hpp"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/sampler.hpp"

namespace {

class SequentialSampler : public wizard::Sampler {
 public:
  static constexpr const char* kSummary = "the examples in dataset order";

  static wizard::OptionDocs options() {
    return {{"drop_last", "bool", "false", "drop the last batch when it is not full"}};
  }

  SequentialSampler(const wizard::Config& config, wizard::PluginHost&)
      : drop_last_(config.get<bool>("drop_last", false)) {}

  wizard::Batches batches(const wizard::SamplerInput& input) override {
    const auto n = static_cast<std::int64_t>(input.lengths.size());
    return wizard::make_batches(wizard::sequential_order(n), input.batch_size, drop_last_);
  }

 private:
  bool drop_last_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_SAMPLER(SequentialSampler, sequential)
