// Data augmentation's options in training_args_spec (docs/cpo.md, "Data augmentation"):
// augment_data, augmentation_strategy ("noise" or "paraphrase"), augmentation_ratio, and for
// "paraphrase" the generating model and its sampling settings; the others are refused while
// augment_data is false, and the paraphrase ones with the "noise" strategy.
#pragma once

#include <cstdint>
#include <string>

#include "wizard/base/config.hpp"
#include "wizard/plugin/plugin.hpp"

namespace wizard::cpo {

// How "paraphrase" generates (docs/cpo.md): sampling with these settings, seeded by the run's
// seed.
struct ParaphraseSampling {
  std::string model;  // augmentation_model: a model folder or hub name; "": the policy's
  double temperature = 0.7;
  double top_p = 0.9;
  std::int64_t top_k = 50;
  std::int64_t max_new_tokens = 128;  // at most; see paraphrase_augmentation.hpp
  std::int64_t batch_size = 8;
};

struct AugmentationSettings {
  bool enabled = false;  // augment_data
  std::string strategy = "noise";
  double ratio = 0.1;  // the share of training rows augmented
  ParaphraseSampling paraphrase;

  static AugmentationSettings read(const Config& args);
  static OptionDocs options();
};

// The same rows are augmented for every strategy: row `index` is when its draw from the run's
// seed, read as a number in [0, 1), is below augmentation_ratio.
std::uint64_t augmentation_mix(std::uint64_t a, std::uint64_t b);
bool augments_row(std::uint64_t seed, std::size_t index, double ratio);

}  // namespace wizard::cpo
