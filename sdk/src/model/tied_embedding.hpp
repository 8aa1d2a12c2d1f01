// The embedding lookup of a model whose LM head shares the embedding matrix.
//
// Plain autograd gives the shared weight two dense [vocab, hidden] gradients per step: the
// lookup's (a zero tensor with the used rows scattered in) and the LM head's, and then adds
// them. Here the lookup also returns an alias of the weight for the LM head to use; the
// alias's gradient (the LM head's dense one) comes back to this node, which adds the
// looked-up rows to a copy of it. Gradients are the same; the zero tensor and the dense sum
// are gone.
#pragma once

#include <ATen/ATen.h>

namespace wizard::model {

struct TiedLookup {
  at::Tensor embeddings;   // weight[ids], [..., hidden]
  at::Tensor head_weight;  // the weight itself, with this node as its gradient path
};

TiedLookup tied_embedding(const at::Tensor& weight, const at::Tensor& ids, int64_t padding_idx);

}  // namespace wizard::model
