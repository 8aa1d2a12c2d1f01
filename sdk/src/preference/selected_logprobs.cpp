#include "wizard/preference/selected_logprobs.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <limits>

#include "model/autocast_state.hpp"
#include "model/kernels_cpu_ops.hpp"

namespace wizard::preference {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Logits of one chunk in float32 (the matrix product runs in the model's dtype).
at::Tensor chunk_logits(const at::Tensor& hidden, const at::Tensor& weight) {
  return at::matmul(hidden, weight.t()).to(at::kFloat);
}

// Any device: logits of a chunk of positions over the whole vocabulary, in float32.
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

// The CPU path: the logits of a position chunk are computed transposed, [vocabulary,
// positions], one vocabulary slice at a time (a slice of the LM head stays in cache while
// it multiplies every position), and the log-softmax statistics are taken from each slice
// right after its product. Backward turns each slice into its gradient in place (one pass:
// grad * (onehot - softmax)) and multiplies it out for the weight's rows and the hidden
// states. The logits are kept for backward when they fit kStoredLogitsBytes (saving the
// recomputation, a third of the LM head's work), else recomputed per slice.
constexpr int64_t kVocabSlice = 2048;

// grad * (onehot - p) -> -grad * p at the label entries of a gradient slice [rows, positions]
// (p: the label's probability), leaving the softmax part only.
template <class T>
void drop_label_terms_as(at::Tensor& slice, int64_t first, const at::Tensor& labels,
                         const at::Tensor& grad, const at::Tensor& p) {
  T* data = slice.data_ptr<T>();
  const int64_t* label = labels.data_ptr<int64_t>();
  const float* g = grad.data_ptr<float>();
  const float* prob = p.data_ptr<float>();
  const int64_t rows = slice.size(0), cols = slice.size(1);
  for (int64_t c = 0; c < cols; ++c) {
    const int64_t row = label[c] - first;
    if (row >= 0 && row < rows) data[row * cols + c] = static_cast<T>(-g[c] * prob[c]);
  }
}

void drop_label_terms(at::Tensor& slice, int64_t first, const at::Tensor& labels,
                      const at::Tensor& grad, const at::Tensor& p) {
  if (slice.scalar_type() == at::kBFloat16) {
    drop_label_terms_as<at::BFloat16>(slice, first, labels, grad, p);
  } else {
    drop_label_terms_as<float>(slice, first, labels, grad, p);
  }
}
constexpr int64_t kStoredLogitsBytes = int64_t{512} << 20;

struct FusedChunkedLogprobs : public torch::autograd::Function<FusedChunkedLogprobs> {
  static tensor_list forward(AutogradContext* ctx, const at::Tensor& hidden,
                             const at::Tensor& weight, const at::Tensor& labels,
                             int64_t chunk_size) {
    const int64_t n = hidden.size(0), vocab = weight.size(0);
    const auto float_options = hidden.options().dtype(at::kFloat);
    at::Tensor logps = at::empty({n}, float_options);
    at::Tensor logit_sums = at::zeros({n}, hidden.options().dtype(at::kDouble));
    at::Tensor lse = at::empty({n}, float_options);
    tensor_list saved{hidden, weight, labels, lse, logps};
    for (int64_t begin = 0; begin < n; begin += chunk_size) {
      const int64_t length = std::min(chunk_size, n - begin);
      const at::Tensor h = hidden.narrow(0, begin, length).contiguous();
      const at::Tensor chunk_labels = labels.narrow(0, begin, length).contiguous();
      const bool keep = vocab * length * hidden.element_size() <= kStoredLogitsBytes;
      at::Tensor logits =
          at::empty({keep ? vocab : std::min(kVocabSlice, vocab), length}, hidden.options());
      at::Tensor max = at::full({length}, -std::numeric_limits<float>::infinity(), float_options);
      at::Tensor sum = at::zeros({length}, float_options);
      at::Tensor picked = at::zeros({length}, float_options);
      at::Tensor chunk_sums = logit_sums.narrow(0, begin, length);
      for (int64_t first = 0; first < vocab; first += kVocabSlice) {
        const int64_t rows = std::min(kVocabSlice, vocab - first);
        at::Tensor slice = logits.narrow(0, keep ? first : 0, rows);
        at::mm_out(slice, weight.narrow(0, first, rows), h.t());
        model::cpu::logit_stats(slice, first, chunk_labels, max, sum, picked, chunk_sums);
      }
      const at::Tensor chunk_lse = max + sum.log();
      lse.narrow(0, begin, length).copy_(chunk_lse);
      logps.narrow(0, begin, length).copy_(picked - chunk_lse);
      saved.push_back(keep ? logits : at::Tensor());
    }
    ctx->save_for_backward(saved);
    ctx->saved_data["chunk_size"] = chunk_size;
    ctx->mark_non_differentiable({logit_sums});
    return {logps, logit_sums};
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& hidden = saved[0];
    const at::Tensor& weight = saved[1];
    const at::Tensor& labels = saved[2];
    const at::Tensor& lse = saved[3];
    const at::Tensor& logps = saved[4];
    const int64_t chunk_size = ctx->saved_data["chunk_size"].toInt();
    // The kept logits become gradients in place; a second backward recomputes them.
    const bool reuse = !ctx->saved_data.count("consumed");
    ctx->saved_data["consumed"] = true;
    const at::Tensor grad_logps = grad_outputs[0].to(at::kFloat).contiguous();
    const int64_t n = hidden.size(0), vocab = weight.size(0);
    const bool one_chunk = n > 0 && n <= chunk_size;
    at::Tensor grad_hidden = at::empty_like(hidden);
    // One chunk writes the weight's gradient slice by slice; several sum in float32.
    at::Tensor grad_weight = one_chunk
                                 ? at::empty(weight.sizes(), weight.options())
                                 : at::zeros(weight.sizes(), weight.options().dtype(at::kFloat));
    for (int64_t begin = 0, c = 0; begin < n; begin += chunk_size, ++c) {
      const int64_t length = std::min(chunk_size, n - begin);
      const at::Tensor h = hidden.narrow(0, begin, length).contiguous();
      const at::Tensor chunk_labels = labels.narrow(0, begin, length).contiguous();
      const at::Tensor chunk_lse = lse.narrow(0, begin, length).contiguous();
      const at::Tensor chunk_grad = grad_logps.narrow(0, begin, length).contiguous();
      at::Tensor kept = reuse ? saved[5 + c] : at::Tensor();
      at::Tensor scratch;
      if (!kept.defined())
        scratch = at::empty({std::min(kVocabSlice, vocab), length}, hidden.options());
      // The label's own term, grad * W[label], in float32: summed with the slices' rounded
      // products it would cancel much of them, losing the rounding to it.
      const at::Tensor chunk_p = logps.narrow(0, begin, length).exp();
      at::Tensor grad_h =
          weight.index_select(0, chunk_labels).to(at::kFloat).mul_(chunk_grad.unsqueeze(1));
      for (int64_t first = 0; first < vocab; first += kVocabSlice) {
        const int64_t rows = std::min(kVocabSlice, vocab - first);
        const at::Tensor w = weight.narrow(0, first, rows);
        at::Tensor slice;
        if (kept.defined()) {
          slice = kept.narrow(0, first, rows);
        } else {
          slice = scratch.narrow(0, 0, rows);
          at::mm_out(slice, w, h.t());
        }
        model::cpu::logit_grad_(slice, first, chunk_labels, chunk_lse, chunk_grad);
        if (one_chunk) {
          at::Tensor rows_grad = grad_weight.narrow(0, first, rows);
          at::mm_out(rows_grad, slice, h);
        } else {
          grad_weight.narrow(0, first, rows).add_(at::mm(slice, h));
        }
        drop_label_terms(slice, first, chunk_labels, chunk_grad, chunk_p);
        grad_h.add_(at::mm(slice.t(), w));
      }
      grad_hidden.narrow(0, begin, length).copy_(grad_h);
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
  const at::Tensor ids = labels.to(at::kLong);
  // Under autocast the product runs in autocast's dtype, as at::linear would run it.
  const at::ScalarType dtype = model::autocast_compute_dtype(hidden.device(), hidden.scalar_type());
  if (dtype != hidden.scalar_type() || dtype != weight.scalar_type()) {
    return selected_logprobs(hidden.to(dtype), weight.to(dtype), labels, chunk_size);
  }
  const auto out = model::cpu::fused({hidden, weight})
                       ? FusedChunkedLogprobs::apply(hidden, weight, ids, chunk_size)
                       : ChunkedLogprobs::apply(hidden, weight, ids, chunk_size);
  return {out[0], out[1]};
}

}  // namespace wizard::preference
