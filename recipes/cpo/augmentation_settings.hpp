// Data augmentation's options in training_args_spec (docs/cpo.md, "Data augmentation"):
// augment_data, augmentation_strategy ("noise"; "paraphrase" is not in wizard yet) and
// augmentation_ratio; the others are refused while augment_data is false.
#pragma once

#include <string>

#include "wizard/base/config.hpp"
#include "wizard/plugin/plugin.hpp"

namespace wizard::cpo {

struct AugmentationSettings {
  bool enabled = false;  // augment_data
  std::string strategy = "noise";
  double ratio = 0.1;  // the share of training rows augmented

  static AugmentationSettings read(const Config& args);
  static OptionDocs options();
};

}  // namespace wizard::cpo
