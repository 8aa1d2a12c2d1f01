// A Llama-family causal language model (Llama, Mistral, Qwen2, Qwen3) computed as
// transformers computes it, on plain tensors with Hugging Face parameter names.
//
//   auto model = CausalLM::from_pretrained(folder, at::kBFloat16);
//   at::Tensor hidden = model.forward(input_ids, layout.position_ids(), layout);  // [R,T,H]
//   at::Tensor logits = model.lm_head(hidden.index({selected}));                   // [N,V]
//
// forward() stops at the final norm so that callers apply the LM head only where they need
// logits (e.g. completion positions), and in chunks if they like.
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/model/config.hpp"
#include "wizard/model/kv_cache.hpp"
#include "wizard/model/layout.hpp"
#include "wizard/model/weights.hpp"

namespace wizard::model {

using NamedParameters = std::vector<std::pair<std::string, at::Tensor>>;

// CPU buffer reuse. LibTorch's CPU allocator returns every freed buffer to the system, so each
// training step page-faults again on all of its large activations and gradients. The cache
// keeps freed CPU buffers of 1 MiB or more (sizes rounded up by at most 1/8) for later
// requests down to half their size, releasing the longest-unused ones beyond
// `max_cached_bytes` of free buffers. Process-wide; CausalLM::forward on the CPU enables it
// once, with the limit WIZARD_CPU_BUFFER_CACHE gives in GiB (default 4; 0 turns it off).
WIZARD_API void enable_cpu_buffer_cache(std::size_t max_cached_bytes = std::size_t{4} << 30);
WIZARD_API void disable_cpu_buffer_cache();
WIZARD_API bool cpu_buffer_cache_enabled();

// The dtype of a config.json torch_dtype string ("float32", "bfloat16", "float16") and back.
WIZARD_API at::ScalarType dtype_from_name(const std::string& name);
WIZARD_API std::string dtype_name_of(at::ScalarType dtype);

struct WIZARD_API SavePretrainedOptions {
  std::optional<at::ScalarType> dtype;               // default: the parameters' dtype
  std::uint64_t max_shard_bytes = 5'000'000'000ULL;  // transformers' "5GB"
  // Folder whose tokenizer files are copied along (e.g. the folder the model came from).
  std::filesystem::path tokenizer_source;
  // Called with the staging folder to add files that must appear atomically with the model.
  std::function<void(const std::filesystem::path& staging)> write_extra;
};

// Copies share the parameter tensors (as copies of at::Tensor do).
class WIZARD_API CausalLM {
 public:
  // Takes `weights` as they are (every tensor of parameter_specs(config), right shapes).
  CausalLM(ModelConfig config, ModelWeights weights);

  // Loads a Hugging Face model folder (config.json + safetensors) with parameters in `dtype`
  // on `device`. Every expected tensor must be present with its shape (else an error naming
  // each tensor, expected and actual shape); tensors the architecture does not use are
  // logged and skipped, as transformers does (a tied model's lm_head.weight included). Hub
  // names are resolved by wizard::hub beforehand.
  static CausalLM from_pretrained(const std::filesystem::path& folder,
                                  at::ScalarType dtype = at::kFloat, at::Device device = at::kCPU);

  // Writes config.json (the original, torch_dtype updated), generation_config.json and the
  // weights in transformers' layout (no lm_head.weight when tied), atomically.
  void save_pretrained(const std::filesystem::path& folder,
                       const SavePretrainedOptions& options = {}) const;

  const ModelConfig& config() const { return *config_; }
  const ModelWeights& weights() const { return weights_; }
  // For what changes the weights in place: LoRA adapters (lora.hpp), quantised base weights
  // (quantization.hpp). Every parameter keeps its shape.
  ModelWeights& mutable_weights() { return weights_; }
  // generation_config.json as loaded (null if the folder had none).
  const nlohmann::json& generation_config() const { return generation_config_; }
  void set_generation_config(nlohmann::json generation_config);

  // Parameters with their Hugging Face names, in transformers' order; a tied LM head appears
  // once, as model.embed_tokens.weight. Weights kept quantised (quantization.hpp) are not
  // listed; LoRA adapters are not either (lora_parameters in lora.hpp lists them).
  NamedParameters named_parameters() const;
  std::vector<at::Tensor> parameters() const;
  at::ScalarType dtype() const;
  at::Device device() const;
  // Converts every parameter (keeping requires_grad) and the config's torch_dtype.
  void to(at::ScalarType dtype, std::optional<at::Device> device = std::nullopt);
  void set_requires_grad(bool requires_grad);

  // The precision of the rotary inverse frequencies (default float32, as transformers'
  // from_pretrained(torch_dtype=...) keeps them). transformers' Module.to(dtype) also casts
  // that buffer, so a model converted with .to(torch.bfloat16) rotates with bf16-rounded
  // frequencies; passing kBFloat16 reproduces such results exactly, at the cost of position
  // accuracy on long sequences.
  void set_rope_frequency_dtype(at::ScalarType dtype);

  // Recompute each decoder layer in backward instead of keeping its activations.
  void set_gradient_checkpointing(bool enabled) { gradient_checkpointing_ = enabled; }
  bool gradient_checkpointing() const { return gradient_checkpointing_; }

  // input_ids and position_ids [R, T] int64 -> final-normed hidden states [R, T, hidden].
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& position_ids,
                     const AttentionLayout& layout) const;

  // Incremental decoding (no gradients): input_ids and position_ids [R, T] are the next T
  // positions of the cache's R rows, `token_mask` [R, T] (bool or 0/1) marks which hold
  // tokens (left padding of a prompt batch does not). Their keys and values are appended to
  // `cache`, each position attends to the cached tokens up to itself (and the layer's sliding
  // window, counted in cache positions as transformers does), and the final-normed hidden
  // states [R, T, hidden] are returned. Mixed prompt lengths: left-pad them to one length.
  at::Tensor forward_cached(const at::Tensor& input_ids, const at::Tensor& position_ids,
                            const at::Tensor& token_mask, KvCache& cache) const;

  // hidden [..., hidden] -> logits [..., vocab] (in the parameters' dtype).
  at::Tensor lm_head(const at::Tensor& hidden) const;
  // The [vocab, hidden] matrix lm_head() multiplies with, for callers that compute the LM
  // head themselves (e.g. in chunks). Tied models under autograd get an alias of the
  // embeddings bound to the latest forward's lookup, so that both uses of the matrix share
  // one dense gradient; prefer it to weights().embed_tokens (which is also correct, but
  // costs an extra dense gradient and a sum per backward).
  at::Tensor lm_head_weight() const;

  // transformers' causal-LM loss: mean cross entropy (float32) of predicting labels[t+1]
  // from position t, over labels != -100; logits are computed only at those positions.
  at::Tensor loss(const at::Tensor& input_ids, const at::Tensor& position_ids,
                  const AttentionLayout& layout, const at::Tensor& labels) const;

 private:
  void set_head_alias(at::Tensor alias) const;

  std::shared_ptr<const ModelConfig> config_;  // shared with running backward passes
  ModelWeights weights_;
  nlohmann::json generation_config_;
  at::Tensor inverse_frequencies_;  // float32, on the parameters' device
  // Tied models: the embedding alias of the latest forward() with autograd on, which
  // lm_head_weight() returns so that both uses share one gradient (see tied_embedding).
  struct HeadAlias;
  std::shared_ptr<HeadAlias> head_alias_;
  bool gradient_checkpointing_ = false;
};

}  // namespace wizard::model
