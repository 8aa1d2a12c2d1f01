#include "cpo_training.hpp"

#include <algorithm>

#include "wizard/distributed/environment.hpp"

namespace wizard::cpo {

std::vector<std::int64_t> example_lengths(const std::vector<TokenizedPreference>& pairs,
                                          std::int64_t num_negatives) {
  std::vector<std::int64_t> lengths;
  lengths.reserve(pairs.size());
  for (const auto& pair : pairs) {
    lengths.push_back(num_negatives > 1
                          ? packed_example_tokens(pair, num_negatives)
                          : static_cast<std::int64_t>(std::max(pair.chosen_input_ids.size(),
                                                               pair.rejected_input_ids.size())));
  }
  return lengths;
}

train::TrainingTask training_task(const model::CausalLM& model, PreferenceTask& task,
                                  const std::vector<TokenizedPreference>& pairs,
                                  std::shared_ptr<Sampler> sampler, std::int64_t num_negatives,
                                  const train::TrainingArguments& args) {
  train::TrainingTask training;
  training.parameters = model.named_parameters();
  SamplerInput input;
  input.lengths = example_lengths(pairs, num_negatives);
  // A data-parallel run samples global micro-batches (HF's per-device batch times the ranks);
  // the trainer shares each among the ranks, balanced by these lengths.
  input.batch_size =
      args.per_device_train_batch_size * distributed::LaunchEnvironment::current().world_size;
  input.seed = static_cast<std::uint64_t>(args.data_seed.value_or(args.seed));
  training.example_tokens = [lengths = input.lengths](std::int64_t example) {
    return lengths.at(static_cast<std::size_t>(example));
  };
  training.micro_batches = [sampler, input](std::int64_t epoch) mutable {
    input.epoch = epoch;
    return sampler->batches(input);
  };
  training.compute = [&task](const train::MicroBatch& batch) { return task.compute(batch); };
  training.after_step = [&task](const train::StepTimes& times) {
    task.optimizer_stepped(times.global_step);
  };
  training.save_state = [&task] { return nlohmann::json{{"negatives", task.save_state()}}; };
  training.load_state = [&task](const nlohmann::json& state) {
    // Checkpoints of runs before several negatives existed carry no such state.
    if (state.is_object() && state.contains("negatives")) task.load_state(state.at("negatives"));
  };
  return training;
}

}  // namespace wizard::cpo
