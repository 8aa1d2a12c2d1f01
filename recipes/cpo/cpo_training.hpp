// The trainer's view of the cpo recipe, shared by `wizard run` and `wizard bench`: the
// micro-batches the sampler draws from the examples' lengths, the PreferenceTask as the step,
// and its negative-sampling state in every checkpoint.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "preference_task.hpp"
#include "wizard/plugin/sampler.hpp"
#include "wizard/train/trainer.hpp"

namespace wizard::cpo {

// An example's length for the samplers. One negative: its longer sequence (the width TRL pads
// it to). K > 1 negatives (num_negatives): the tokens its packed row costs with its K longest
// negatives (packed_example_tokens).
std::vector<std::int64_t> example_lengths(const std::vector<TokenizedPreference>& pairs,
                                          std::int64_t num_negatives);

// parameters, micro_batches, compute, the optimizer step for the task and its state; the caller
// adds evaluation and saving. `task`, `pairs` and `sampler` must outlive the returned task.
train::TrainingTask training_task(const model::CausalLM& model, PreferenceTask& task,
                                  const std::vector<TokenizedPreference>& pairs,
                                  std::shared_ptr<Sampler> sampler, std::int64_t num_negatives,
                                  const train::TrainingArguments& args);

}  // namespace wizard::cpo
