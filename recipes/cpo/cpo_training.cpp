#include "cpo_training.hpp"

#include <algorithm>

namespace wizard::cpo {

std::vector<std::int64_t> pair_lengths(const std::vector<TokenizedPreference>& pairs) {
  std::vector<std::int64_t> lengths;
  lengths.reserve(pairs.size());
  for (const auto& pair : pairs) {
    lengths.push_back(static_cast<std::int64_t>(
        std::max(pair.chosen_input_ids.size(), pair.rejected_input_ids.size())));
  }
  return lengths;
}

train::TrainingTask training_task(const model::CausalLM& model, const PreferenceTask& task,
                                  const std::vector<TokenizedPreference>& pairs,
                                  std::shared_ptr<Sampler> sampler,
                                  const train::TrainingArguments& args) {
  train::TrainingTask training;
  training.parameters = model.named_parameters();
  SamplerInput input;
  input.lengths = pair_lengths(pairs);
  input.batch_size = args.per_device_train_batch_size;
  input.seed = static_cast<std::uint64_t>(args.data_seed.value_or(args.seed));
  training.micro_batches = [sampler, input](std::int64_t epoch) mutable {
    input.epoch = epoch;
    return sampler->batches(input);
  };
  training.compute = [&task, &pairs](const train::MicroBatch& batch) {
    return task.compute(pairs, batch);
  };
  return training;
}

}  // namespace wizard::cpo
