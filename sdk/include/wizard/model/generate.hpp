// Text generation with a KV cache, as transformers' generate() decodes: a batch of prompts of
// any lengths (left-padded to one length, positions counting tokens only), one position per
// step against the cache, greedy or sampled, stopping each row at an EOS id, at a caller's
// signal (stop strings, see wizard/generation) or at the length limit.
//
//   GenerationConfig config = GenerationConfig::from_model(model);  // generation_config.json
//   config.max_new_tokens = 64;
//   GenerationResult result = generate(model, {{1, 250, 82}, {1, 310}}, config);
//   result.sequences[0].tokens;                                     // the new tokens of row 0
//
// The logits of each step are processed in float32 in transformers' order: repetition
// penalty, min_new_tokens (EOS forbidden before), then, when sampling, temperature, top_k,
// top_p and min_p; greedy takes the argmax, sampling draws from the softmax with a seeded
// generator. Runs on the model's device with ATen operations (one small copy of the chosen
// ids to the host per step). Finished rows leave the batch. See docs/generation.md.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::model {

struct WIZARD_API GenerationConfig {
  int64_t max_new_tokens = 256;
  // A cap on prompt + new tokens (generation_config.json's max_length), counted per row.
  std::optional<int64_t> max_length;
  int64_t min_new_tokens = 0;       // EOS ids are forbidden before this many new tokens
  bool do_sample = false;           // false: greedy (the sampling options below are not used)
  double temperature = 1.0;         // > 0
  int64_t top_k = 50;               // 0: off
  double top_p = 1.0;               // 1: off
  double min_p = 0.0;               // 0: off
  double repetition_penalty = 1.0;  // 1: off; transformers' rule over every id in the row
  std::vector<int64_t> eos_token_ids;
  std::optional<int64_t> pad_token_id;    // what finished rows are filled with (default: first EOS)
  std::vector<std::string> stop_strings;  // checked by text-level callers (needs a tokenizer)
  std::optional<uint64_t> seed;           // sampling seed; unset: a fresh random one

  // transformers' GenerationConfig fields from a generation_config.json object over these
  // defaults (eos_token_id as an int or a list); unknown keys are ignored, as transformers
  // keeps them as attributes. Throws wizard::Error naming `source` for wrong types.
  static GenerationConfig from_json(const nlohmann::json& generation_config,
                                    const std::string& source = "generation_config.json");
  // The model's generation_config.json (EOS and pad from config.json when it has none).
  static GenerationConfig from_model(const CausalLM& model);

  // Throws wizard::ConfigError naming the first field out of range.
  void validate() const;
};

enum class StopReason { eos, callback, length };
WIZARD_API std::string stop_reason_name(StopReason reason);  // "eos", "stop", "length"

struct WIZARD_API GeneratedSequence {
  std::vector<int32_t> tokens;  // the new tokens; an EOS that stopped the row is kept
  StopReason reason = StopReason::length;
};

// Where the time went, for benchmarks.
struct WIZARD_API GenerationStats {
  int64_t prompt_tokens = 0;     // the prompts' tokens (padding not counted)
  int64_t generated_tokens = 0;  // new tokens of all rows
  int64_t decode_steps = 0;      // forward passes after the prompt's
  double prefill_seconds = 0;    // the prompts' forward pass and the first token
  double decode_seconds = 0;     // every later step
};

struct WIZARD_API GenerationResult {
  std::vector<GeneratedSequence> sequences;  // one per prompt, in order
  GenerationStats stats;
};

// Called after each step for every row still running, with the token it just got; returns
// true to stop that row after this token (e.g. a stop string completed).
using TokenCallback = std::function<bool(std::size_t row, int32_t token)>;

// Decodes `prompts` (token ids, none empty) as one batch. Runs without gradients.
WIZARD_API GenerationResult generate(const CausalLM& model,
                                     const std::vector<std::vector<int32_t>>& prompts,
                                     const GenerationConfig& config,
                                     const TokenCallback& on_token = {});

// Greedy decoding to at most `max_new_tokens`, stopping rows at `stop_ids` (kept): the new
// tokens of each prompt (the cpo recipe's exact-match evaluation).
struct WIZARD_API GreedyOptions {
  int64_t max_new_tokens = 32;
  std::vector<int64_t> stop_ids;
};
WIZARD_API std::vector<std::vector<int32_t>> generate_greedy(
    const CausalLM& model, const std::vector<std::vector<int32_t>>& prompts,
    const GreedyOptions& options);

}  // namespace wizard::model
