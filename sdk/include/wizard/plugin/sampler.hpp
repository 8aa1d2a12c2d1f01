// A sampler: decides the order of examples and how they group into batches.
#pragma once

#include <cstdint>
#include <vector>

#include "wizard/plugin/plugin.hpp"

namespace wizard {

// What a sampler knows about the examples of one epoch.
struct SamplerInput {
  std::vector<std::int64_t> lengths;  // tokens per example (0 when unknown)
  std::int64_t batch_size = 1;        // examples per batch
  std::int64_t epoch = 0;             // 0-based; samplers derive per-epoch randomness from it
  std::uint64_t seed = 0;             // the run's seed (training_args_spec.seed)
};

class WIZARD_API Sampler : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::Sampler;
  ~Sampler() override;

  // The batches of one epoch, as example indices. Must be a pure function of
  // its input and the sampler's options, so a resumed run sees the same batches.
  virtual std::vector<std::vector<std::int64_t>> batches(const SamplerInput& input) = 0;
};

}  // namespace wizard
