#include "wizard/model/quantization.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include <cmath>

#include "adapted_linear.hpp"
#include "dynamic_code_map.hpp"
#include "quantized_cpu.hpp"
#include "wizard/base/error.hpp"

namespace wizard::model {

namespace {

// bitsandbytes' NF4 values (functional.py, get_4bit_type("nf4")), in code order.
constexpr float kNf4[16] = {-1.0f,
                            -0.6961928009986877f,
                            -0.5250730514526367f,
                            -0.39491748809814453f,
                            -0.28444138169288635f,
                            -0.18477343022823334f,
                            -0.09105003625154495f,
                            0.0f,
                            0.07958029955625534f,
                            0.16093020141124725f,
                            0.24611230194568634f,
                            0.33791524171829224f,
                            0.44070982933044434f,
                            0.5626170039176941f,
                            0.7229568362236023f,
                            1.0f};
// bitsandbytes' FP4 (its dequantisation tree): bit 3 the sign, then two exponent bits and one
// mantissa bit, scaled so that the largest magnitude is 1.
constexpr float kFp4Magnitudes[8] = {0.0f, 0.005208333333f, 0.66666667f, 1.0f, 0.33333333f,
                                     0.5f, 0.16666667f,     0.25f};

// The nearest code of each value of `x` (float32, in [-1, 1]) among `values` [K] (any order):
// bucketize against the midpoints of the sorted values.
at::Tensor nearest_codes(const at::Tensor& x, const at::Tensor& values) {
  const auto [sorted, order] = values.to(x.device()).sort();
  const int64_t k = sorted.numel();
  const at::Tensor midpoints = (sorted.narrow(0, 0, k - 1) + sorted.narrow(0, 1, k - 1)) / 2;
  return order.index_select(0, at::bucketize(x.reshape({-1}), midpoints).reshape({-1}))
      .view(x.sizes());
}

// x [n] float32 -> (normalised blocks of `block` [blocks, block] zero-padded, absmax [blocks]).
std::pair<at::Tensor, at::Tensor> blockwise(const at::Tensor& x, int64_t block) {
  const int64_t n = x.numel();
  const int64_t blocks = (n + block - 1) / block;
  at::Tensor padded = at::zeros({blocks * block}, x.options());
  padded.narrow(0, 0, n).copy_(x);
  const at::Tensor rows = padded.view({blocks, block});
  const at::Tensor absmax = rows.abs().amax(1);
  // An all-zero block divides by 1: its codes are zero's either way.
  const at::Tensor divisor = at::where(absmax > 0, absmax, at::ones_like(absmax));
  return {rows / divisor.unsqueeze(1), absmax};
}

// The absolute maxima as the forward uses them: stored, or decoded from 8 bits.
at::Tensor absmax_of(const QuantizedWeight& w) {
  if (!w.absmax_codes.defined()) return w.absmax;
  const int64_t blocks = w.absmax_codes.numel();
  const at::Tensor map = dynamic_code_map().to(w.absmax_codes.device());
  const at::Tensor decoded = map.index_select(0, w.absmax_codes.to(at::kLong));
  const int64_t groups = w.absmax_scale.numel();
  at::Tensor padded = at::zeros({groups * kAbsmaxBlock}, decoded.options());
  padded.narrow(0, 0, blocks).copy_(decoded);
  return (padded.view({groups, kAbsmaxBlock}) * w.absmax_scale.unsqueeze(1))
             .reshape({-1})
             .narrow(0, 0, blocks) +
         w.absmax_offset;
}

// y = x W^T with W dequantised in the forward and again in the backward, so that no layer's
// dequantised weight outlives its use (autograd would keep it until the backward).
struct QuantizedHolder : torch::CustomClassHolder {
  std::shared_ptr<const QuantizedWeight> weight;
};

class QuantizedMatmul : public torch::autograd::Function<QuantizedMatmul> {
 public:
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                const at::Tensor& x,
                                                const c10::intrusive_ptr<QuantizedHolder>& held) {
    ctx->saved_data["weight"] = c10::IValue::make_capsule(held);
    return {at::matmul(x, dequantize(*held->weight, x.scalar_type()).t())};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto held =
        c10::static_intrusive_pointer_cast<QuantizedHolder>(ctx->saved_data["weight"].toCapsule());
    return {at::matmul(grads[0], dequantize(*held->weight, grads[0].scalar_type())), at::Tensor()};
  }
};

}  // namespace

at::Tensor four_bit_code_values(FourBitType type) {
  at::Tensor values = at::empty({16}, at::kFloat);
  float* v = values.data_ptr<float>();
  for (int i = 0; i < 16; ++i) {
    v[i] = type == FourBitType::nf4 ? kNf4[i] : (i & 8 ? -1.0f : 1.0f) * kFp4Magnitudes[i & 7];
  }
  return values;
}

at::Tensor dynamic_code_map() {
  return detail::dynamic_map(/*is_signed=*/true);
}

int64_t QuantizedWeight::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

int64_t QuantizedWeight::nbytes() const {
  int64_t bytes = packed.nbytes();
  for (const at::Tensor* t : {&absmax, &absmax_codes, &absmax_scale}) {
    if (t->defined()) bytes += t->nbytes();
  }
  return bytes;
}

QuantizedWeight quantize_4bit(const at::Tensor& weight, const FourBitOptions& options) {
  at::NoGradGuard no_grad;
  QuantizedWeight q;
  q.shape = weight.sizes().vec();
  q.type = options.type;
  q.compute_dtype = options.compute_dtype;
  const auto [normalised, absmax] =
      blockwise(weight.detach().to(at::kFloat).reshape({-1}), kFourBitBlock);
  const at::Tensor codes =
      nearest_codes(normalised, four_bit_code_values(options.type)).to(at::kByte).view({-1, 2});
  q.packed = at::bitwise_or(at::bitwise_left_shift(codes.select(1, 0), 4), codes.select(1, 1))
                 .contiguous();
  if (!options.double_quant) {
    q.absmax = absmax;
    return q;
  }
  // bitsandbytes' nested quantisation: the maxima minus their mean, blockwise in 8 bits.
  q.absmax_offset = absmax.mean().item<double>();
  const auto [centred, scale] = blockwise(absmax - q.absmax_offset, kAbsmaxBlock);
  q.absmax_codes = nearest_codes(centred, dynamic_code_map())
                       .to(at::kByte)
                       .reshape({-1})
                       .narrow(0, 0, absmax.numel())
                       .contiguous();
  q.absmax_scale = scale;
  return q;
}

at::Tensor dequantize(const QuantizedWeight& w, at::ScalarType dtype) {
  at::NoGradGuard no_grad;
  const at::Tensor absmax = absmax_of(w);
  const at::Tensor values = four_bit_code_values(w.type);
  at::Tensor flat;
  if (w.packed.device().is_cpu() && (dtype == at::kFloat || dtype == at::kBFloat16)) {
    flat = cpu::dequantize_4bit(w.packed, absmax, values, dtype);
  } else {
    const at::Tensor bytes = w.packed.to(at::kLong);
    const at::Tensor codes = at::stack({bytes.bitwise_right_shift(4), bytes.bitwise_and(15)}, 1);
    flat =
        (values.to(bytes.device()).index_select(0, codes.reshape({-1})).view({-1, kFourBitBlock}) *
         absmax.unsqueeze(1))
            .reshape({-1})
            .to(dtype);
  }
  return flat.narrow(0, 0, w.numel()).view(w.shape);
}

at::Tensor quantized_matmul(const at::Tensor& x, const std::shared_ptr<const QuantizedWeight>& w) {
  auto held = c10::make_intrusive<QuantizedHolder>();
  held->weight = w;
  return QuantizedMatmul::apply(x, held)[0];
}

int64_t quantize_base_weights(CausalLM& model, const FourBitOptions& options) {
  int64_t bytes = 0;
  for (DecoderLayerWeights& layer : model.mutable_weights().layers) {
    for (LayerLinear& linear : layer_linears(layer)) {
      if (!linear.weight.defined()) continue;  // already quantised
      linear.adapter.quantized =
          std::make_shared<const QuantizedWeight>(quantize_4bit(linear.weight, options));
      linear.weight = at::Tensor();
    }
  }
  for (const auto& [name, tensor] : model.named_parameters()) {
    if (tensor.defined()) bytes += tensor.nbytes();
  }
  for (DecoderLayerWeights& layer : model.mutable_weights().layers) {
    for (LayerLinear& linear : layer_linears(layer)) {
      if (linear.adapter.quantized) bytes += linear.adapter.quantized->nbytes();
    }
  }
  return bytes;
}

}  // namespace wizard::model
