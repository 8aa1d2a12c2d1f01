// The trainer's view of the cpo recipe, shared by `wizard run` and `wizard bench`: the
// micro-batches the sampler draws from the pairs' lengths, and the PreferenceTask as the
// step.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "preference_task.hpp"
#include "wizard/plugin/sampler.hpp"
#include "wizard/train/trainer.hpp"

namespace wizard::cpo {

// An example's length for the samplers: its longer sequence (the width TRL pads it to).
std::vector<std::int64_t> pair_lengths(const std::vector<TokenizedPreference>& pairs);

// parameters, micro_batches and compute; the caller adds evaluation and saving. `task`,
// `pairs` and `sampler` must outlive the returned task.
train::TrainingTask training_task(const model::CausalLM& model, const PreferenceTask& task,
                                  const std::vector<TokenizedPreference>& pairs,
                                  std::shared_ptr<Sampler> sampler,
                                  const train::TrainingArguments& args);

}  // namespace wizard::cpo
