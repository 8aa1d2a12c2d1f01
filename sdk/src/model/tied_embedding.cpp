#include "tied_embedding.hpp"

#include <torch/csrc/autograd/custom_function.h>

namespace wizard::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class TiedEmbedding : public torch::autograd::Function<TiedEmbedding> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& weight,
                               const at::Tensor& ids, int64_t padding_idx) {
    // Kept as plain data, not saved variables: a later backward that reaches this node
    // only through the head alias (the lookup's graph already freed) still works.
    ctx->saved_data["ids"] = ids;
    ctx->saved_data["padding_idx"] = padding_idx;
    ctx->saved_data["vocab"] = weight.size(0);
    ctx->set_materialize_grads(false);  // an unused output must not become a dense zero tensor
    return {at::embedding(weight, ids, padding_idx), weight};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor& from_lookup = grads[0];
    const at::Tensor& from_head = grads[1];
    const at::Tensor ids = ctx->saved_data["ids"].toTensor();
    const int64_t padding_idx = ctx->saved_data["padding_idx"].toInt();
    if (!from_lookup.defined()) return {from_head, at::Tensor(), at::Tensor()};
    if (!from_head.defined()) {
      return {at::embedding_backward(from_lookup, ids, ctx->saved_data["vocab"].toInt(),
                                     padding_idx, /*scale_grad_by_freq=*/false, /*sparse=*/false),
              at::Tensor(), at::Tensor()};
    }
    const at::Tensor flat_ids = ids.reshape({-1});
    at::Tensor rows = from_lookup.reshape({flat_ids.size(0), -1});
    if (padding_idx >= 0) rows = rows.masked_fill((flat_ids == padding_idx).unsqueeze(1), 0);
    // Out of place: the head's gradient tensor may be referenced elsewhere (e.g. by the
    // gradient of another tensor the alias was added to), so it is never modified.
    const at::Tensor grad = from_head.index_add(0, flat_ids, rows);
    return {grad, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

TiedLookup tied_embedding(const at::Tensor& weight, const at::Tensor& ids, int64_t padding_idx) {
  const variable_list out = TiedEmbedding::apply(weight, ids, padding_idx);
  return {out[0], out[1]};
}

}  // namespace wizard::model
