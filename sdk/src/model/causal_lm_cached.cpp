// CausalLM::forward_cached: the decoding path with a KV cache (cached_attention.hpp).
#include <ATen/core/grad_mode.h>

#include <map>

#include "autocast_state.hpp"
#include "cached_attention.hpp"
#include "cpu_buffer_cache.hpp"
#include "rmsnorm.hpp"
#include "wizard/base/error.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::model {

namespace {

void check_step_input(const at::Tensor& t, const char* name, const at::Tensor& ids) {
  if (!t.defined() || t.sizes() != ids.sizes()) {
    throw Error(std::string("forward_cached: ") + name +
                " must have input_ids' shape [rows, positions]");
  }
}

}  // namespace

at::Tensor CausalLM::forward_cached(const at::Tensor& input_ids, const at::Tensor& position_ids,
                                    const at::Tensor& token_mask, KvCache& cache) const {
  at::NoGradGuard no_grad;
  if (!input_ids.defined() || input_ids.dim() != 2 || input_ids.size(0) != cache.rows()) {
    throw Error("forward_cached: input_ids must be [rows, positions] with the cache's " +
                std::to_string(cache.rows()) + " rows");
  }
  check_step_input(position_ids, "position_ids", input_ids);
  check_step_input(token_mask, "token_mask", input_ids);
  const ModelConfig& c = *config_;
  const at::Device device = this->device();
  const at::ScalarType dtype = autocast_compute_dtype(device, this->dtype());
  if (cache.dtype() != dtype || cache.device() != device) {
    throw Error(std::string("forward_cached: the cache holds ") + c10::toString(cache.dtype()) +
                " on " + cache.device().str() + ", the model computes in " + c10::toString(dtype) +
                " on " + device.str() + "; make the cache to match");
  }
  if (device.is_cpu()) enable_cpu_buffer_cache_by_default();

  CachedStep step;
  step.config = config_.get();
  step.start = cache.append(token_mask);
  step.rope = rotary_tables(inverse_frequencies_, position_ids.to(device), dtype,
                            rope_attention_scaling(c));
  const int64_t count = input_ids.size(1);
  std::map<int64_t, at::Tensor> masks;  // by window (0: none), shared by the layers
  auto mask_of = [&](int64_t layer) -> const at::Tensor& {
    const int64_t window = c.sliding_window_of_layer(layer).value_or(0);
    at::Tensor& mask = masks[window];
    if (!mask.defined())
      mask = cached_attention_mask(cache.valid(), step.start, count, window, dtype);
    return mask;
  };

  at::Tensor hidden = at::embedding(weights_.embed_tokens, input_ids.to(device));
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    hidden = cached_decoder_layer(weights_.layers[static_cast<size_t>(l)], hidden, step, mask_of(l),
                                  cache.keys(l), cache.values(l));
  }
  return rms_norm(hidden, weights_.norm, c.rms_norm_eps);
}

}  // namespace wizard::model
