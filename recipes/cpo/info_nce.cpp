#include "info_nce.hpp"

#include <limits>

#include "wizard/base/error.hpp"

namespace wizard::cpo {

InfoNceResult info_nce(const InfoNceInputs& in) {
  if (!(in.temperature > 0)) throw Error("info_nce: the temperature must be positive");
  const int64_t b = in.query.size(0);
  const double inf = std::numeric_limits<double>::infinity();
  // Column 0: the positive; then every candidate negative, -inf where it is not one.
  std::vector<at::Tensor> columns{(in.query * in.positive).sum(1, true)};
  if (in.negatives.defined() && in.negatives.size(1) > 0) {
    const at::Tensor own = at::bmm(in.negatives, in.query.unsqueeze(2)).squeeze(2);  // [B, K]
    columns.push_back(own.masked_fill(in.negative_mask.logical_not(), -inf));
  }
  if (in.in_batch && b > 1) {
    const at::Tensor self = at::eye(b, in.query.options().dtype(at::kBool));
    columns.push_back(at::matmul(in.query, in.positive.t()).masked_fill(self, -inf));  // [B, B]
  }
  if (in.queue.defined() && in.queue.size(0) > 0) {
    columns.push_back(
        at::matmul(in.query, in.queue.t()).masked_fill(in.queue_blocked, -inf));  // [B, M]
  }
  const at::Tensor logits = at::cat(columns, 1) / in.temperature;
  const at::Tensor positive = logits.select(1, 0);
  InfoNceResult out;
  out.loss = (at::logsumexp(logits, 1) - positive).mean();
  const at::Tensor detached = logits.detach();
  if (detached.size(1) == 1) {
    out.accuracy = at::ones({}, detached.options());
  } else {
    const at::Tensor best_other = std::get<0>(detached.narrow(1, 1, detached.size(1) - 1).max(1));
    out.accuracy = (detached.select(1, 0) > best_other).to(detached.scalar_type()).mean();
  }
  return out;
}

}  // namespace wizard::cpo
