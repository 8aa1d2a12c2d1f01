#include "preference_task.hpp"

#include <ATen/core/grad_mode.h>
#include <map>

#include "wizard/base/error.hpp"
#include "wizard/model/generate.hpp"
#include "wizard/preference/metrics.hpp"

namespace wizard::cpo {

namespace {

// What the loss receives: the policy's sums, and the reference's in the same dtype.
PreferenceScores preference_scores(const preference::ExampleScores& scores,
                                   const ReferenceModel* reference,
                                   const std::vector<preference::ExampleToScore>& examples) {
  PreferenceScores out = preference::preference_scores_of(scores);
  if (reference) {
    const auto [chosen, negatives] = reference->score(examples, scores.chosen_logps_sum.device());
    out.reference_chosen_logps_sum = chosen.to(scores.chosen_logps_sum.scalar_type());
    out.reference_negative_logps_sum = negatives.to(scores.negative_logps_sum.scalar_type());
  }
  return out;
}

}  // namespace

PreferenceTask::PreferenceTask(PreferenceTaskParts parts,
                               const std::vector<TokenizedPreference>& train_pairs)
    : parts_(std::move(parts)), pool_(train_pairs, parts_.negative_sampler, parts_.negatives) {
  parts_.scoring.with_embeddings = parts_.contrastive != nullptr;
}

void PreferenceTask::optimizer_stepped(std::int64_t step) {
  pool_.set_step(step);
  if (parts_.contrastive) parts_.contrastive->optimizer_stepped();
}

PreferenceTask::Outcome PreferenceTask::run(const std::vector<preference::ExampleToScore>& examples,
                                            const std::vector<std::int64_t>& ids,
                                            preference::MetricSplit split) const {
  const preference::ExampleScores scores = preference::score_examples(
      *parts_.model, examples, parts_.scoring, parts_.loss->requirements().nll);
  Outcome out;
  out.loss = parts_.loss->compute(preference_scores(scores, parts_.reference, examples));
  if (!out.loss.loss.defined() || out.loss.loss.numel() != 1) {
    throw Error("the loss plugin returned no scalar `loss`; a Loss must fill PreferenceLoss.loss");
  }
  // The loss says whether it used the NLL term; TRL logs 0 when it did not.
  out.metrics = preference::preference_metrics(out.loss, scores.logit_sums, split);
  if (parts_.contrastive) {
    const bool training = split == preference::MetricSplit::Train;
    out.contrastive = parts_.contrastive->compute(scores, examples, ids, training);
    out.loss.loss = out.loss.loss + parts_.contrastive->weight() * out.contrastive.loss;
    const std::string prefix = training ? "" : "eval_";
    out.metrics.emplace_back(prefix + "contrastive_loss", out.contrastive.loss.item<double>());
    out.metrics.emplace_back(prefix + "contrastive/accuracy",
                             out.contrastive.accuracy.item<double>());
  }
  out.tokens = scores.work.tokens_real;
  if (work_observer_ && split == preference::MetricSplit::Train) work_observer_(scores.work);
  return out;
}

std::vector<double> PreferenceTask::policy_scores(const preference::ExampleToScore& example) const {
  at::NoGradGuard no_grad;
  preference::PairScoringOptions scoring = parts_.scoring;
  scoring.with_embeddings = false;
  const preference::ExampleScores scores =
      preference::score_examples(*parts_.model, {example}, scoring, false);
  const at::Tensor means =
      (scores.negative_logps_sum.to(at::kDouble) / scores.negative_tokens.to(at::kDouble))
          .select(0, 0)
          .cpu();
  return std::vector<double>(means.data_ptr<double>(), means.data_ptr<double>() + means.numel());
}

train::StepResult PreferenceTask::compute(const train::MicroBatch& indices) {
  const PreparedBatch batch = pool_.training_batch(
      indices,
      [this](const preference::ExampleToScore& example) { return policy_scores(example); });
  examples_scored_ += static_cast<std::int64_t>(batch.examples.size());
  short_examples_ += batch.short_examples;
  Outcome outcome = run(batch.examples, indices, preference::MetricSplit::Train);
  if (parts_.contrastive) parts_.contrastive->enqueue(outcome.contrastive, indices);
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
  const NegativePool pool(pairs, parts_.negative_sampler, parts_.negatives);
  for (std::size_t begin = 0; begin < pairs.size(); begin += static_cast<std::size_t>(batch_size)) {
    train::MicroBatch indices;
    for (std::size_t i = begin;
         i < pairs.size() && i < begin + static_cast<std::size_t>(batch_size); ++i) {
      indices.push_back(static_cast<int64_t>(i));
    }
    const Outcome outcome =
        run(pool.evaluation_batch(indices).examples, indices, preference::MetricSplit::Eval);
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
    const auto answers = model::generate_greedy(*parts_.model, prompts, options);
    for (std::size_t i = begin; i < end; ++i) {
      const auto& ids = pairs[i].chosen_input_ids;
      const std::vector<int32_t> chosen(ids.begin() + pairs[i].chosen_prompt_length, ids.end());
      if (answers[i - begin] == chosen) ++matches;
    }
  }
  return pairs.empty() ? 0.0 : static_cast<double>(matches) / static_cast<double>(pairs.size());
}

}  // namespace wizard::cpo
