// A feature of training_args_spec switched on by one key (contrastive_weight,
// create_hard_negatives, augment_data): while it is off, its other keys are refused, so that
// none is accepted and ignored.
#pragma once

#include <string>

#include "wizard/base/config.hpp"
#include "wizard/plugin/plugin.hpp"

namespace wizard::cpo {

// Fails naming the first of `options` (other than `switch_key`) written in `args`: it
// configures `feature`, which is off; `turn_on` says how to switch it on.
inline void refuse_while_off(const Config& args, const OptionDocs& options,
                             const std::string& switch_key, const std::string& feature,
                             const std::string& turn_on) {
  for (const auto& option : options) {
    if (option.name != switch_key && args.has(option.name)) {
      args.fail(option.name,
                "configures " + feature + ", which is off; " + turn_on + " or remove this key");
    }
  }
}

}  // namespace wizard::cpo
