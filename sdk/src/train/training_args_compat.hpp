// Hugging Face TrainingArguments fields that wizard accepts without using them, so that
// configs written for HF's Trainer or TRL run unchanged. Each has a policy for values
// other than HF's default: ignore them, warn that they have no effect, or refuse them
// because the run would silently differ from what the user asked for.
#pragma once

#include "wizard/base/config.hpp"

namespace wizard::train::detail {

// The accepted-but-unused fields, documented like the used ones.
OptionDocs compat_option_docs();

// Type-checks every such field present in `table` and applies its policy (debug log,
// warning, or ConfigError pointing at the key).
void check_compat_options(const Config& table);

}  // namespace wizard::train::detail
