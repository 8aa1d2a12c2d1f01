#include "augmentation_settings.hpp"

#include "feature_keys.hpp"

namespace wizard::cpo {

OptionDocs AugmentationSettings::options() {
  return {
      {"augment_data", "bool", "false",
       "add augmented examples to the training rows (augmentation_strategy)"},
      {"augmentation_strategy", "string", "noise",
       "noise: an extra negative from the chosen answer by word dropout and a swap"},
      {"augmentation_ratio", "float", "0.1", "the share of training rows augmented"},
  };
}

AugmentationSettings AugmentationSettings::read(const Config& args) {
  AugmentationSettings out;
  out.enabled = args.get<bool>("augment_data", false);
  if (!out.enabled) {
    refuse_while_off(args, options(), "augment_data", "data augmentation",
                     "set augment_data = true");
    return out;
  }
  out.strategy = args.get<std::string>("augmentation_strategy", "noise");
  if (out.strategy == "paraphrase") {
    args.fail("augmentation_strategy",
              "= \"paraphrase\" (prompts paraphrased by a model) is not in wizard yet (issue 11); "
              "use \"noise\" or remove augment_data");
  }
  if (out.strategy != "noise") {
    args.fail("augmentation_strategy", "must be \"noise\", not \"" + out.strategy + "\"");
  }
  out.ratio = args.get<double>("augmentation_ratio", 0.1);
  if (!(out.ratio > 0 && out.ratio <= 1)) args.fail("augmentation_ratio", "must be in (0, 1]");
  return out;
}

}  // namespace wizard::cpo
