// The decoding loop of generate(): prefill the left-padded prompt batch into a KV cache,
// then one position per step for the rows still running.
#include "wizard/model/generate.hpp"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "autocast_state.hpp"
#include "gemv_cpu.hpp"
#include "logits_processing.hpp"
#include "wizard/base/error.hpp"

namespace wizard::model {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check_prompts(const std::vector<std::vector<int32_t>>& prompts, int64_t vocab) {
  for (std::size_t r = 0; r < prompts.size(); ++r) {
    if (prompts[r].empty()) {
      throw Error("generate: prompt " + std::to_string(r) +
                  " is empty; it has no token to continue");
    }
    for (const int32_t id : prompts[r]) {
      if (id < 0 || id >= vocab) {
        throw Error("generate: prompt " + std::to_string(r) + " holds token id " +
                    std::to_string(id) + ", outside the model's vocabulary of " +
                    std::to_string(vocab));
      }
    }
  }
}

// The rows still running, with what each needs between steps.
struct Batch {
  std::vector<std::size_t> rows;       // prompt index of each running row
  std::vector<int64_t> next_position;  // position id of the token it feeds next
  at::Tensor seen;                     // [running, vocab] bool, for the repetition penalty
};

// The prompt batch, left-padded: ids, mask and positions (cumsum(mask) - 1, 1 on padding,
// as transformers' generate()).
struct PaddedPrompts {
  at::Tensor ids, mask, positions;
};

PaddedPrompts pad_left(const std::vector<std::vector<int32_t>>& prompts, int64_t width,
                       int64_t pad_id) {
  const auto rows = static_cast<int64_t>(prompts.size());
  std::vector<int64_t> ids(rows * width, pad_id), mask(rows * width, 0), positions(rows * width, 1);
  for (int64_t r = 0; r < rows; ++r) {
    const auto& prompt = prompts[static_cast<std::size_t>(r)];
    const int64_t offset = width - static_cast<int64_t>(prompt.size());
    for (std::size_t t = 0; t < prompt.size(); ++t) {
      const int64_t at = r * width + offset + static_cast<int64_t>(t);
      ids[at] = prompt[t];
      mask[at] = 1;
      positions[at] = static_cast<int64_t>(t);
    }
  }
  const auto options = at::TensorOptions().dtype(at::kLong);
  return {at::tensor(ids, options).view({rows, width}),
          at::tensor(mask, options).view({rows, width}),
          at::tensor(positions, options).view({rows, width})};
}

}  // namespace

GenerationResult generate(const CausalLM& model, const std::vector<std::vector<int32_t>>& prompts,
                          const GenerationConfig& config, const TokenCallback& on_token) {
  config.validate();
  check_prompts(prompts, model.config().vocab_size);
  at::NoGradGuard no_grad;
  GenerationResult result;
  result.sequences.resize(prompts.size());
  if (prompts.empty()) return result;

  // Each row's budget of new tokens.
  std::vector<int64_t> budget(prompts.size(), config.max_new_tokens);
  int64_t width = 0, most = 0;
  for (std::size_t r = 0; r < prompts.size(); ++r) {
    const auto length = static_cast<int64_t>(prompts[r].size());
    if (config.max_length)
      budget[r] = std::min(budget[r], std::max<int64_t>(*config.max_length - length, 0));
    width = std::max(width, length);
    most = std::max(most, budget[r]);
    result.stats.prompt_tokens += length;
  }
  if (most == 0) return result;

  const at::Device device = model.device();
  const int64_t pad_id =
      config.pad_token_id.value_or(config.eos_token_ids.empty() ? 0 : config.eos_token_ids.front());
  const auto rows = static_cast<int64_t>(prompts.size());
  KvCache cache(model.config(), rows, width + most, autocast_compute_dtype(device, model.dtype()),
                device);
  const PaddedPrompts padded = pad_left(prompts, width, pad_id);

  Batch batch;
  for (std::size_t r = 0; r < prompts.size(); ++r) {
    batch.rows.push_back(r);
    batch.next_position.push_back(static_cast<int64_t>(prompts[r].size()));
  }
  const bool penalise = config.repetition_penalty != 1.0;
  if (penalise) {
    // Every id in the row as transformers holds it, its left padding included.
    batch.seen = at::zeros({rows, model.config().vocab_size},
                           at::TensorOptions().dtype(at::kBool).device(device))
                     .scatter_(1, padded.ids.to(device), true);
  }
  std::optional<at::Generator> generator;
  if (config.do_sample) {
    generator = at::globalContext().defaultGenerator(device).clone();
    generator->set_current_seed(config.seed.value_or(std::random_device{}()));
  }

  const auto started = Clock::now();
  at::Tensor hidden =
      model.forward_cached(padded.ids, padded.positions, padded.mask, cache).select(1, width - 1);
  for (int64_t step = 0;; ++step) {
    at::Tensor scores = cpu::decode_linear(hidden, model.lm_head_weight(), {}).to(at::kFloat);
    if (penalise) scores = apply_repetition_penalty(scores, batch.seen, config.repetition_penalty);
    if (step < config.min_new_tokens) scores = forbid_tokens(scores, config.eos_token_ids);
    if (config.do_sample) scores = warp_for_sampling(scores, config);
    const at::Tensor chosen = choose_tokens(scores, config.do_sample, generator);
    const at::Tensor chosen_host = chosen.to(at::kCPU);
    const auto* ids = chosen_host.data_ptr<int64_t>();

    std::vector<int64_t> keep;
    for (std::size_t i = 0; i < batch.rows.size(); ++i) {
      const std::size_t r = batch.rows[i];
      GeneratedSequence& sequence = result.sequences[r];
      const auto token = static_cast<int32_t>(ids[i]);
      sequence.tokens.push_back(token);
      const bool eos = std::find(config.eos_token_ids.begin(), config.eos_token_ids.end(), token) !=
                       config.eos_token_ids.end();
      const bool stopped = on_token && on_token(r, token);
      if (eos) {
        sequence.reason = StopReason::eos;
      } else if (stopped) {
        sequence.reason = StopReason::callback;
      } else if (static_cast<int64_t>(sequence.tokens.size()) >= budget[r]) {
        sequence.reason = StopReason::length;
      } else {
        keep.push_back(static_cast<int64_t>(i));
      }
    }
    result.stats.generated_tokens += static_cast<int64_t>(batch.rows.size());
    if (step == 0) result.stats.prefill_seconds = seconds_since(started);
    if (keep.empty()) break;

    at::Tensor next = chosen;
    if (keep.size() < batch.rows.size()) {
      // Finished rows leave the batch: the cache, the penalty's ids and the inputs follow.
      std::vector<std::size_t> rows_kept;
      std::vector<int64_t> positions_kept;
      for (const int64_t i : keep) {
        rows_kept.push_back(batch.rows[static_cast<std::size_t>(i)]);
        positions_kept.push_back(batch.next_position[static_cast<std::size_t>(i)]);
      }
      batch.rows = std::move(rows_kept);
      batch.next_position = std::move(positions_kept);
      cache.select_rows(keep);
      const at::Tensor index = at::tensor(keep, at::TensorOptions().dtype(at::kLong)).to(device);
      next = next.index_select(0, index);
      if (penalise) batch.seen = batch.seen.index_select(0, index);
    }
    const auto running = static_cast<int64_t>(batch.rows.size());
    if (penalise) batch.seen.scatter_(1, next.view({running, 1}), true);
    const at::Tensor positions =
        at::tensor(batch.next_position, at::TensorOptions().dtype(at::kLong)).view({running, 1});
    for (int64_t& position : batch.next_position) ++position;
    hidden =
        model
            .forward_cached(next.view({running, 1}), positions,
                            at::ones({running, 1}, at::TensorOptions().dtype(at::kBool)), cache)
            .select(1, 0);
    result.stats.decode_steps += 1;
  }
  result.stats.decode_seconds = seconds_since(started) - result.stats.prefill_seconds;
  return result;
}

std::vector<std::vector<int32_t>> generate_greedy(const CausalLM& model,
                                                  const std::vector<std::vector<int32_t>>& prompts,
                                                  const GreedyOptions& options) {
  GenerationConfig config;
  config.max_new_tokens = options.max_new_tokens;
  config.eos_token_ids = options.stop_ids;
  std::vector<std::vector<int32_t>> tokens;
  for (auto& sequence : generate(model, prompts, config).sequences) {
    tokens.push_back(std::move(sequence.tokens));
  }
  return tokens;
}

}  // namespace wizard::model
