#include "wizard/preference/selected_logprobs.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

namespace wizard::preference {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Logits of one chunk in float32 (the matrix product runs in the model's dtype).
at::Tensor chunk_logits(const at::Tensor& hidden, const at::Tensor& weight) {
  return at::matmul(hidden, weight.t()).to(at::kFloat);
}

struct ChunkedLogprobs : public torch::autograd::Function<ChunkedLogprobs> {
  static tensor_list forward(AutogradContext* ctx, const at::Tensor& hidden,
                             const at::Tensor& weight, const at::Tensor& labels,
                             int64_t chunk_size) {
    const int64_t n = hidden.size(0);
    at::Tensor logps = at::empty({n}, hidden.options().dtype(at::kFloat));
    at::Tensor logit_sums = at::empty({n}, hidden.options().dtype(at::kDouble));
    for (int64_t begin = 0; begin < n; begin += chunk_size) {
      const int64_t length = std::min(chunk_size, n - begin);
      const at::Tensor logits = chunk_logits(hidden.narrow(0, begin, length), weight);
      const at::Tensor picked = logits.gather(1, labels.narrow(0, begin, length).unsqueeze(1));
      logps.narrow(0, begin, length).copy_(picked.squeeze(1) - at::logsumexp(logits, 1));
      logit_sums.narrow(0, begin, length).copy_(logits.sum(1, /*keepdim=*/false, at::kDouble));
    }
    ctx->save_for_backward({hidden, weight, labels});
    ctx->saved_data["chunk_size"] = chunk_size;
    ctx->mark_non_differentiable({logit_sums});
    return {logps, logit_sums};
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& hidden = saved[0];
    const at::Tensor& weight = saved[1];
    const at::Tensor& labels = saved[2];
    const int64_t chunk_size = ctx->saved_data["chunk_size"].toInt();
    const at::Tensor grad_logps = grad_outputs[0].to(at::kFloat);
    const int64_t n = hidden.size(0);

    at::Tensor grad_hidden = at::empty_like(hidden);
    // Accumulate the weight's gradient in float32 across chunks.
    at::Tensor grad_weight = at::zeros(weight.sizes(), weight.options().dtype(at::kFloat));
    for (int64_t begin = 0; begin < n; begin += chunk_size) {
      const int64_t length = std::min(chunk_size, n - begin);
      const at::Tensor h = hidden.narrow(0, begin, length);
      const at::Tensor g = grad_logps.narrow(0, begin, length).unsqueeze(1);
      // d logp / d logits = onehot(label) - softmax(logits), scaled by the incoming gradient.
      at::Tensor grad_logits = at::softmax(chunk_logits(h, weight), 1).mul_(-g);
      grad_logits.scatter_add_(1, labels.narrow(0, begin, length).unsqueeze(1), g);
      const at::Tensor grad_logits_in = grad_logits.to(hidden.scalar_type());
      grad_hidden.narrow(0, begin, length).copy_(at::matmul(grad_logits_in, weight));
      if (weight.scalar_type() == at::kFloat) {
        grad_weight.addmm_(grad_logits_in.t(), h);
      } else {
        grad_weight.add_(at::matmul(grad_logits_in.t(), h));
      }
    }
    return {grad_hidden, grad_weight.to(weight.scalar_type()), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

SelectedLogprobs selected_logprobs(const at::Tensor& hidden, const at::Tensor& weight,
                                   const at::Tensor& labels, int64_t chunk_size) {
  TORCH_CHECK(hidden.dim() == 2 && weight.dim() == 2 && hidden.size(1) == weight.size(1),
              "selected_logprobs: hidden [N, H] and weight [V, H] expected");
  TORCH_CHECK(labels.dim() == 1 && labels.size(0) == hidden.size(0),
              "selected_logprobs: one label per hidden row expected");
  TORCH_CHECK(chunk_size > 0, "selected_logprobs: chunk_size must be positive");
  const auto out = ChunkedLogprobs::apply(hidden, weight, labels.to(at::kLong), chunk_size);
  return {out[0], out[1]};
}

}  // namespace wizard::preference
