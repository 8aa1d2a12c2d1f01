#include "rope.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include <cmath>

namespace wizard::model {

namespace {

// transformers' _compute_default_rope_parameters.
at::Tensor default_inverse_frequencies(const ModelConfig& config) {
  const int64_t dim = config.head_dim;
  const at::Tensor exponents = at::arange(0, dim, 2, at::kLong).to(at::kFloat) / dim;
  return at::pow(config.rope_theta, exponents).reciprocal();
}

// transformers' _compute_llama3_parameters: long wavelengths are divided by `factor`,
// short ones kept, and the band between interpolates smoothly. Written with the same
// operations as the reference so the float32 values agree.
at::Tensor llama3_inverse_frequencies(const at::Tensor& inv_freq, const RopeScaling& rope) {
  const double old_context = static_cast<double>(rope.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / rope.low_freq_factor;
  const double high_freq_wavelen = old_context / rope.high_freq_factor;
  const at::Tensor wavelen = inv_freq.reciprocal() * (2 * M_PI);
  at::Tensor scaled = at::where(wavelen > low_freq_wavelen, inv_freq / rope.factor, inv_freq);
  const at::Tensor smooth = (wavelen.reciprocal() * old_context - rope.low_freq_factor) /
                            (rope.high_freq_factor - rope.low_freq_factor);
  const at::Tensor smoothed = (1 - smooth) * scaled / rope.factor + smooth * scaled;
  const at::Tensor medium =
      (wavelen < high_freq_wavelen).logical_not() * (wavelen > low_freq_wavelen).logical_not();
  return at::where(medium, smoothed, scaled);
}

at::Tensor rotate_half(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// transformers' rotation x * cos + rotate_half(x) * sin, with a backward that applies the
// transposed rotation directly: g * cos + rotate_half^T(g * sin), where rotate_half^T maps
// (a, b) to (b, -a). Autograd would reach the same values through slices of zero-filled
// tensors; this is the same arithmetic in fewer passes.
class RotaryFunction : public torch::autograd::Function<RotaryFunction> {
 public:
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                const at::Tensor& x, const at::Tensor& cos,
                                                const at::Tensor& sin) {
    ctx->save_for_backward({cos, sin});
    return {x * cos + rotate_half(x) * sin};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor g_sin = grads[0] * saved[1];
    const int64_t half = g_sin.size(-1) / 2;
    const at::Tensor transposed =
        at::cat({g_sin.narrow(-1, half, half), -g_sin.narrow(-1, 0, half)}, -1);
    return {grads[0] * saved[0] + transposed, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor rope_inverse_frequencies(const ModelConfig& config) {
  const at::Tensor inv_freq = default_inverse_frequencies(config);
  if (config.rope_scaling.type == "linear") return inv_freq / config.rope_scaling.factor;
  if (config.rope_scaling.type == "llama3") {
    return llama3_inverse_frequencies(inv_freq, config.rope_scaling);
  }
  return inv_freq;
}

double rope_attention_scaling(const ModelConfig&) {
  return 1.0;
}

RotaryTables rotary_tables(const at::Tensor& inverse_frequencies, const at::Tensor& position_ids,
                           at::ScalarType dtype, double attention_scaling) {
  // An outer product in float32 (transformers disables autocast here for the same reason:
  // positions times frequencies lose too much in half precision).
  const at::Tensor freqs = position_ids.to(at::kFloat).unsqueeze(-1) * inverse_frequencies;
  const at::Tensor angles = at::cat({freqs, freqs}, -1);
  at::Tensor cos = angles.cos();
  at::Tensor sin = angles.sin();
  if (attention_scaling != 1.0) {
    cos = cos * attention_scaling;
    sin = sin * attention_scaling;
  }
  return {cos.to(dtype), sin.to(dtype)};
}

at::Tensor apply_rotary(const at::Tensor& x, const RotaryTables& tables) {
  return RotaryFunction::apply(x, tables.cos.unsqueeze(2), tables.sin.unsqueeze(2))[0];
}

}  // namespace wizard::model
