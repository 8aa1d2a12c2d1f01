#include "wizard/preference/batch_logps.hpp"

#include <ATen/ATen.h>
#include <spdlog/fmt/fmt.h>

#include "wizard/base/error.hpp"
#include "wizard/preference/answer_scores.hpp"

namespace wizard::preference {

namespace {

void check_batch(const char* what, const at::Tensor& logits, const at::Tensor& labels) {
  const bool ok = logits.defined() && labels.defined() && logits.dim() == 3 && labels.dim() == 2 &&
                  logits.size(0) == labels.size(0) && logits.size(1) == labels.size(1) &&
                  labels.size(1) >= 1;
  if (ok) return;
  throw Error(
      fmt::format("{}: logits must be [B, T, V] and labels [B, T] with the same B and T "
                  "(got logits {} and labels {})",
                  what, logits.defined() ? c10::str(logits.sizes()) : "missing",
                  labels.defined() ? c10::str(labels.sizes()) : "missing"));
}

int64_t pairs_of(const char* what, const at::Tensor& labels) {
  if (labels.size(0) % 2 != 0) {
    throw Error(
        fmt::format("{}: a concatenated batch has 2n rows (n chosen, then n rejected), "
                    "got {} rows",
                    what, labels.size(0)));
  }
  return labels.size(0) / 2;
}

// Position t predicts label t+1: the logits without the last position.
at::Tensor predicting_logits(const at::Tensor& logits) {
  return logits.slice(/*dim=*/1, 0, logits.size(1) - 1);
}

at::Tensor predicted_labels(const at::Tensor& labels) {
  return labels.slice(/*dim=*/1, 1);
}

}  // namespace

at::Tensor selective_log_softmax(const at::Tensor& logits, const at::Tensor& index) {
  const at::Tensor slot = index.unsqueeze(-1);
  const at::ScalarType dtype = logits.scalar_type();
  if (dtype == at::kFloat || dtype == at::kDouble) {
    return logits.gather(-1, slot).squeeze(-1) - at::logsumexp(logits, {-1});
  }
  // TRL: logsumexp is unstable in half precision; log_softmax there instead.
  return at::log_softmax(logits, -1).gather(-1, slot).squeeze(-1);
}

at::Tensor get_batch_logps(const at::Tensor& logits, const at::Tensor& labels,
                           bool average_log_prob, int64_t label_pad_token_id) {
  check_batch("get_batch_logps", logits, labels);
  const at::Tensor targets = predicted_labels(labels);
  const at::Tensor ignored = targets.eq(label_pad_token_id);
  // Ignored labels gather a dummy token 0 whose log-prob is then dropped.
  const at::Tensor per_token =
      selective_log_softmax(predicting_logits(logits), targets.masked_fill(ignored, 0));
  const at::Tensor sums = per_token.masked_fill(ignored, 0).sum(-1);
  if (!average_log_prob) return sums;
  return sums / ignored.logical_not().sum(-1);
}

at::Tensor scored_token_counts(const at::Tensor& labels, int64_t label_pad_token_id) {
  return predicted_labels(labels).ne(label_pad_token_id).sum(-1).to(at::kFloat);
}

at::Tensor chosen_nll_loss(const at::Tensor& logits, const at::Tensor& labels, int64_t n_chosen,
                           int64_t label_pad_token_id) {
  check_batch("chosen_nll_loss", logits, labels);
  const int64_t vocab = logits.size(2);
  const at::Tensor chosen_logits =
      predicting_logits(logits.slice(0, 0, n_chosen)).reshape({-1, vocab});
  const at::Tensor chosen_labels = predicted_labels(labels.slice(0, 0, n_chosen)).reshape({-1});
  return at::cross_entropy_loss(chosen_logits, chosen_labels, /*weight=*/{}, at::Reduction::Mean,
                                label_pad_token_id, /*label_smoothing=*/0.0);
}

PreferenceScores concatenated_preference_scores(const at::Tensor& logits, const at::Tensor& labels,
                                                int64_t label_pad_token_id) {
  check_batch("concatenated_preference_scores", logits, labels);
  const int64_t n = pairs_of("concatenated_preference_scores", labels);
  const at::Tensor sums = get_batch_logps(logits, labels, false, label_pad_token_id);
  const at::Tensor counts = scored_token_counts(labels, label_pad_token_id);
  return one_negative_scores(sums.slice(0, 0, n), counts.slice(0, 0, n), sums.slice(0, n),
                             counts.slice(0, n),
                             chosen_nll_loss(logits, labels, n, label_pad_token_id));
}

CompletionLogitSums completion_logit_sums(const at::Tensor& logits, const at::Tensor& labels,
                                          int64_t label_pad_token_id) {
  check_batch("completion_logit_sums", logits, labels);
  const int64_t n = pairs_of("completion_logit_sums", labels);
  const at::Tensor scored = predicted_labels(labels).ne(label_pad_token_id);
  const at::Tensor per_position =
      at::sum(predicting_logits(logits), {-1}, /*keepdim=*/false, at::kDouble)
          .masked_fill(scored.logical_not(), 0);
  const double vocab = static_cast<double>(logits.size(2));
  CompletionLogitSums sums;
  sums.chosen_sum = per_position.slice(0, 0, n).sum();
  sums.rejected_sum = per_position.slice(0, n).sum();
  sums.chosen_count = scored.slice(0, 0, n).sum().to(at::kDouble) * vocab;
  sums.rejected_count = scored.slice(0, n).sum().to(at::kDouble) * vocab;
  return sums;
}

}  // namespace wizard::preference
