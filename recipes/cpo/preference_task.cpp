#include "preference_task.hpp"

#include <ATen/core/grad_mode.h>
#include <map>

#include "wizard/base/error.hpp"
#include "wizard/model/generate.hpp"
#include "wizard/preference/metrics.hpp"

namespace wizard::cpo {

PreferenceTask::PreferenceTask(const model::CausalLM& model, std::shared_ptr<Loss> loss,
                               preference::PairScoringOptions scoring)
    : model_(model), loss_(std::move(loss)), scoring_(scoring) {}

PreferenceTask::Outcome PreferenceTask::run(const std::vector<TokenizedPreference>& pairs,
                                            const train::MicroBatch& indices,
                                            preference::MetricSplit split) const {
  std::vector<const TokenizedPreference*> batch;
  batch.reserve(indices.size());
  for (int64_t index : indices) batch.push_back(&pairs.at(static_cast<std::size_t>(index)));
  const preference::PairScores scores =
      preference::score_pairs(model_, batch, scoring_, loss_->requirements().nll);
  Outcome out;
  out.loss = loss_->compute(scores.logps);
  if (!out.loss.loss.defined() || out.loss.loss.numel() != 1) {
    throw Error("the loss plugin returned no scalar `loss`; a Loss must fill PreferenceLoss.loss");
  }
  // The loss says whether it used the NLL term; TRL logs 0 when it did not.
  out.metrics = preference::preference_metrics(out.loss, scores.logit_sums, split);
  out.tokens = scores.work.tokens_real;
  if (work_observer_ && split == preference::MetricSplit::Train) work_observer_(scores.work);
  return out;
}

train::StepResult PreferenceTask::compute(const std::vector<TokenizedPreference>& pairs,
                                          const train::MicroBatch& indices) const {
  Outcome outcome = run(pairs, indices, preference::MetricSplit::Train);
  train::StepResult result;
  result.loss = outcome.loss.loss;
  for (const auto& [name, value] : outcome.metrics) {
    if (name != "loss") result.metrics[name] = value;  // the trainer logs the loss itself
  }
  result.num_tokens = outcome.tokens;
  return result;
}

train::EvalResult PreferenceTask::evaluate(const std::vector<TokenizedPreference>& pairs,
                                           int64_t batch_size) const {
  at::NoGradGuard no_grad;
  std::map<std::string, double> sums;
  double weighted_loss = 0;
  train::EvalResult result;
  for (std::size_t begin = 0; begin < pairs.size(); begin += static_cast<std::size_t>(batch_size)) {
    train::MicroBatch indices;
    for (std::size_t i = begin;
         i < pairs.size() && i < begin + static_cast<std::size_t>(batch_size); ++i) {
      indices.push_back(static_cast<int64_t>(i));
    }
    const Outcome outcome = run(pairs, indices, preference::MetricSplit::Eval);
    for (const auto& [name, value] : outcome.metrics) {
      if (name == "eval_loss" || name == "loss") continue;
      sums[name] += value;
    }
    weighted_loss += outcome.loss.loss.item<double>() * static_cast<double>(indices.size());
    result.num_samples += static_cast<int64_t>(indices.size());
    result.num_batches += 1;
  }
  if (result.num_batches == 0) return result;
  for (const auto& [name, sum] : sums) result.metrics[name] = sum / result.num_batches;
  result.metrics["eval_loss"] = weighted_loss / static_cast<double>(result.num_samples);
  if (exact_match_) result.metrics["eval_exact_match"] = exact_match(pairs, batch_size);
  return result;
}

double PreferenceTask::exact_match(const std::vector<TokenizedPreference>& pairs,
                                   int64_t batch_size) const {
  std::size_t matches = 0;
  for (std::size_t begin = 0; begin < pairs.size(); begin += static_cast<std::size_t>(batch_size)) {
    const std::size_t end = std::min(pairs.size(), begin + static_cast<std::size_t>(batch_size));
    std::vector<std::vector<int32_t>> prompts;
    std::size_t longest = 0;
    for (std::size_t i = begin; i < end; ++i) {
      const auto& ids = pairs[i].chosen_input_ids;
      prompts.emplace_back(ids.begin(), ids.begin() + pairs[i].chosen_prompt_length);
      longest = std::max(longest, pairs[i].chosen_answer_length());
    }
    model::GreedyOptions options;
    options.max_new_tokens = static_cast<int64_t>(longest) + 1;  // room to show a longer answer
    options.stop_ids = stop_ids_;
    const auto answers = model::generate_greedy(model_, prompts, options);
    for (std::size_t i = begin; i < end; ++i) {
      const auto& ids = pairs[i].chosen_input_ids;
      const std::vector<int32_t> chosen(ids.begin() + pairs[i].chosen_prompt_length, ids.end());
      if (answers[i - begin] == chosen) ++matches;
    }
  }
  return pairs.empty() ? 0.0 : static_cast<double>(matches) / static_cast<double>(pairs.size());
}

}  // namespace wizard::cpo
