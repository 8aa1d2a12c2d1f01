// Frozen base weights in 4 bits (QLoRA; bitsandbytes' Linear4bit as transformers' load_in_4bit
// uses it): the weight of every linear layer of the decoder layers is kept as 4-bit codes with
// one absolute maximum per block of 64 values, and dequantised per layer on the fly into the
// compute dtype for the forward and the backward. Embeddings, norms and the LM head stay as
// they are (transformers keeps the output embeddings unquantised). LoRA adapters (lora.hpp) go
// on top. See docs/training.md ("Quantised base weights").
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "wizard/base/export.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::model {

// The 16 code values, bitsandbytes' published ones: NF4 (quantiles of N(0, 1) scaled to
// [-1, 1], with an exact zero) or its FP4 (1 sign, 2 exponent, 1 mantissa bit).
enum class FourBitType { nf4, fp4 };

struct WIZARD_API FourBitOptions {
  FourBitType type = FourBitType::nf4;
  // bnb_4bit_use_double_quant: the absolute maxima themselves in 8 bits (bitsandbytes' dynamic
  // code, blocks of 256, after subtracting their mean), 0.5 instead of 4 bytes per 64 values.
  bool double_quant = false;
  at::ScalarType compute_dtype = at::kBFloat16;  // bnb_4bit_compute_dtype
};

constexpr int64_t kFourBitBlock = 64;
constexpr int64_t kAbsmaxBlock = 256;

// The code values in code order: [16] float32.
WIZARD_API at::Tensor four_bit_code_values(FourBitType type);
// bitsandbytes' signed dynamic 8-bit code map (create_dynamic_map): [256] float32, sorted.
WIZARD_API at::Tensor dynamic_code_map();

// A weight kept in 4 bits: codes two per byte, first element in the high nibble.
struct WIZARD_API QuantizedWeight {
  std::vector<int64_t> shape;
  FourBitType type = FourBitType::nf4;
  at::ScalarType compute_dtype = at::kBFloat16;
  at::Tensor packed;         // uint8 [ceil(numel / 64) * 32]
  at::Tensor absmax;         // float32 [blocks], without double quantisation
  at::Tensor absmax_codes;   // uint8 [blocks], with it: dynamic-map codes of absmax - offset
  at::Tensor absmax_scale;   // float32 [ceil(blocks / 256)]
  double absmax_offset = 0;  // the mean of the absolute maxima

  int64_t numel() const;
  // Bytes this weight holds (codes and block scales).
  int64_t nbytes() const;
};

// `weight` (any float dtype, any device) in 4 bits, and back into `dtype` on its device.
WIZARD_API QuantizedWeight quantize_4bit(const at::Tensor& weight, const FourBitOptions& options);
WIZARD_API at::Tensor dequantize(const QuantizedWeight& weight, at::ScalarType dtype);

// Replaces the weight of every linear layer of the decoder layers by its 4-bit form (the
// weight slot becomes undefined and frozen); returns the bytes the weights take now.
WIZARD_API int64_t quantize_base_weights(CausalLM& model, const FourBitOptions& options);

}  // namespace wizard::model
