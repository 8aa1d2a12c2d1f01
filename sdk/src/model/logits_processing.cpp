#include "logits_processing.hpp"

#include <algorithm>
#include <limits>

namespace wizard::model {

namespace {

constexpr double kFiltered = -std::numeric_limits<double>::infinity();

// TopKLogitsWarper (min_tokens_to_keep 1): scores below the k-th largest are filtered.
at::Tensor top_k_filter(const at::Tensor& scores, int64_t top_k) {
  const int64_t k = std::min<int64_t>(std::max<int64_t>(top_k, 1), scores.size(-1));
  const at::Tensor kth = std::get<0>(scores.topk(k, -1)).narrow(-1, k - 1, 1);
  return scores.masked_fill(scores < kth, kFiltered);
}

// TopPLogitsWarper: the smallest set of most likely tokens whose probabilities add up to
// more than top_p stays (at least one token).
at::Tensor top_p_filter(const at::Tensor& scores, double top_p) {
  const auto [sorted, order] = scores.sort(-1, /*descending=*/false);
  at::Tensor remove = sorted.softmax(-1).cumsum(-1) <= (1.0 - top_p);
  remove.narrow(-1, remove.size(-1) - 1, 1).fill_(false);
  return scores.masked_fill(remove.scatter(-1, order, remove), kFiltered);
}

// MinPLogitsWarper: tokens less likely than min_p times the most likely token are filtered
// (the most likely one always stays).
at::Tensor min_p_filter(const at::Tensor& scores, double min_p) {
  const at::Tensor probs = scores.softmax(-1);
  const at::Tensor top = std::get<0>(probs.max(-1, /*keepdim=*/true));
  const at::Tensor remove = probs < top * min_p;
  const at::Tensor order = scores.argsort(-1, /*descending=*/true);
  at::Tensor sorted_remove = remove.gather(-1, order);
  sorted_remove.narrow(-1, 0, 1).fill_(false);
  return scores.masked_fill(sorted_remove.scatter(-1, order, sorted_remove), kFiltered);
}

}  // namespace

at::Tensor apply_repetition_penalty(const at::Tensor& scores, const at::Tensor& seen,
                                    double penalty) {
  const at::Tensor penalised = at::where(scores < 0, scores * penalty, scores / penalty);
  return at::where(seen, penalised, scores);
}

at::Tensor forbid_tokens(const at::Tensor& scores, const std::vector<int64_t>& ids) {
  if (ids.empty()) return scores;
  const at::Tensor index =
      at::tensor(ids, at::TensorOptions().dtype(at::kLong)).to(scores.device());
  return scores.index_fill(-1, index, kFiltered);
}

at::Tensor warp_for_sampling(at::Tensor scores, const GenerationConfig& config) {
  if (config.temperature != 1.0) scores = scores / config.temperature;
  if (config.top_k > 0) scores = top_k_filter(scores, config.top_k);
  if (config.top_p < 1.0) scores = top_p_filter(scores, config.top_p);
  if (config.min_p > 0.0) scores = min_p_filter(scores, config.min_p);
  return scores;
}

at::Tensor choose_tokens(const at::Tensor& scores, bool sample,
                         const std::optional<at::Generator>& generator) {
  if (!sample) return scores.argmax(-1);
  return at::multinomial(scores.softmax(-1), 1, /*replacement=*/false, generator).squeeze(-1);
}

}  // namespace wizard::model
