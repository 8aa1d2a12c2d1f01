// InfoNCE, the contrastive loss of the embedding term (docs/cpo.md, "The contrastive term"):
// for each example i, a query q_i and its positive key p_i against negative keys n,
//
//   L_i = -log( exp(q_i.p_i / tau) / (exp(q_i.p_i / tau) + sum_n exp(q_i.n / tau)) )
//
// averaged over the examples. The negatives of example i: its own negative keys (masked
// entries left out), the other examples' positive keys (in-batch), and the shared keys of a
// queue, less those marked as example i's own (its positive key from an earlier step).
#pragma once

#include <ATen/ATen.h>

namespace wizard::cpo {

struct InfoNceInputs {
  at::Tensor query;          // [B, D]
  at::Tensor positive;       // [B, D]
  at::Tensor negatives;      // [B, K, D], or undefined
  at::Tensor negative_mask;  // [B, K] bool (with negatives)
  bool in_batch = true;      // other examples' positive keys are negatives too
  at::Tensor queue;          // [M, D], or undefined
  at::Tensor queue_blocked;  // [B, M] bool: queue keys not used for example i (with queue)
  double temperature = 0.05;
};

struct InfoNceResult {
  at::Tensor loss;      // scalar, with its graph
  at::Tensor accuracy;  // scalar, detached: the share of examples whose positive ranks first
};

InfoNceResult info_nce(const InfoNceInputs& inputs);

}  // namespace wizard::cpo
