#include "augmentation_settings.hpp"

#include "feature_keys.hpp"

namespace wizard::cpo {

namespace {

OptionDocs paraphrase_options() {
  return {
      {"augmentation_model", "string", "",
       "paraphrase: the model folder (or hub name) that paraphrases; default the policy's"},
      {"augmentation_temperature", "float", "0.7", "paraphrase: sampling temperature"},
      {"augmentation_top_p", "float", "0.9", "paraphrase: nucleus sampling's top_p"},
      {"augmentation_top_k", "int", "50", "paraphrase: top_k (0: off)"},
      {"augmentation_max_new_tokens", "int", "128",
       "paraphrase: new tokens per paraphrase at most (and at most 2 x the prompt's + 16)"},
      {"augmentation_batch_size", "int", "8", "paraphrase: prompts generated together"},
  };
}

}  // namespace

OptionDocs AugmentationSettings::options() {
  OptionDocs out = {
      {"augment_data", "bool", "false",
       "add augmented examples to the training rows (augmentation_strategy)"},
      {"augmentation_strategy", "string", "noise",
       "noise: an extra negative from the chosen answer by word dropout and a swap; "
       "paraphrase: an extra row whose prompt a model paraphrased, with the same answers"},
      {"augmentation_ratio", "float", "0.1", "the share of training rows augmented"},
  };
  for (auto& option : paraphrase_options()) out.push_back(option);
  return out;
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
  if (out.strategy != "noise" && out.strategy != "paraphrase") {
    args.fail("augmentation_strategy",
              "must be \"noise\" or \"paraphrase\", not \"" + out.strategy + "\"");
  }
  out.ratio = args.get<double>("augmentation_ratio", 0.1);
  if (!(out.ratio > 0 && out.ratio <= 1)) args.fail("augmentation_ratio", "must be in (0, 1]");
  if (out.strategy != "paraphrase") {
    for (const auto& option : paraphrase_options()) {
      if (args.has(option.name)) {
        args.fail(option.name,
                  "configures augmentation_strategy = \"paraphrase\", but the strategy is \"" +
                      out.strategy + "\"; remove the key or use \"paraphrase\"");
      }
    }
    return out;
  }
  ParaphraseSampling& p = out.paraphrase;
  p.model = args.get<std::string>("augmentation_model", "");
  p.temperature = args.get<double>("augmentation_temperature", p.temperature);
  if (!(p.temperature > 0)) args.fail("augmentation_temperature", "must be above 0");
  p.top_p = args.get<double>("augmentation_top_p", p.top_p);
  if (!(p.top_p > 0 && p.top_p <= 1)) args.fail("augmentation_top_p", "must be in (0, 1]");
  p.top_k = args.get_int("augmentation_top_k", p.top_k, 0, std::int64_t{1} << 30);
  p.max_new_tokens = args.get_int("augmentation_max_new_tokens", p.max_new_tokens, 1, 1 << 20);
  p.batch_size = args.get_int("augmentation_batch_size", p.batch_size, 1, 4096);
  return out;
}

std::uint64_t augmentation_mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool augments_row(std::uint64_t seed, std::size_t index, double ratio) {
  return static_cast<double>(augmentation_mix(seed, index) >> 11) * 0x1.0p-53 < ratio;
}

}  // namespace wizard::cpo
