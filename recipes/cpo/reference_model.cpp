#include "reference_model.hpp"

#include <ATen/core/grad_mode.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "digest.hpp"
#include "negative_pool.hpp"
#include "rank_zero_file.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/model/safetensors.hpp"

namespace wizard::cpo {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kPrecomputeBatch = 8;  // examples per no-grad pass

// What the cached sums depend on: the reference model's files, the dtype, and every sequence.
std::string cache_key(const fs::path& model_dir, at::ScalarType dtype,
                      const std::vector<TokenizedPreference>& pairs) {
  Digest digest;
  digest.feed_model_files(model_dir);
  digest.feed(c10::toString(dtype));
  for (const auto& pair : pairs) {
    digest.feed_sequence({&pair.chosen_input_ids, pair.chosen_prompt_length});
    for (const auto& negative : own_negatives(pair)) digest.feed_sequence(negative);
  }
  return digest.hex();
}

// The cached sums when `cache_file` holds them for `key` (and the expected counts).
bool read_cache(const fs::path& cache_file, const std::string& key, std::int64_t negative_count,
                std::vector<double>& chosen, std::vector<double>& negatives) {
  if (!fs::exists(cache_file)) return false;
  const auto file = safetensors::File::open(cache_file);
  const auto found = file.metadata().find("wizard_reference_key");
  if (found == file.metadata().end() || found->second != key) return false;
  const at::Tensor c = file.load("chosen", at::kDouble);
  const at::Tensor n = file.load("negatives", at::kDouble);
  if (n.numel() != negative_count || c.numel() != static_cast<std::int64_t>(chosen.size()))
    return false;
  chosen.assign(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  negatives.assign(n.data_ptr<double>(), n.data_ptr<double>() + n.numel());
  return true;
}

}  // namespace

ReferenceModel::ReferenceModel(const ReferenceSettings& settings, at::ScalarType dtype,
                               at::Device device, preference::PairScoringOptions scoring)
    : settings_(settings), dtype_(dtype), device_(device), scoring_(scoring) {
  // A rank that only reads rank 0's precomputed sums never scores: no model to load.
  if (settings.precompute && !settings.computes_cache) return;
  model_ = std::make_unique<model::CausalLM>(
      model::CausalLM::from_pretrained(settings.model_dir, dtype, device));
  model_->set_requires_grad(false);
}

void ReferenceModel::precompute(const std::vector<TokenizedPreference>& pairs,
                                const std::string& name, const fs::path& cache_file) {
  const std::string key = cache_key(settings_.model_dir, dtype_, pairs);
  std::vector<double> chosen(pairs.size());
  std::vector<double> negatives;
  std::vector<std::int64_t> offsets = {0};
  for (const auto& pair : pairs) {
    offsets.push_back(offsets.back() + static_cast<std::int64_t>(own_negatives(pair).size()));
  }
  bool cached = read_cache(cache_file, key, offsets.back(), chosen, negatives);
  if (!cached && !settings_.computes_cache) {
    // Rank 0 computes and writes the cache (atomically); this rank waits for it.
    logger()->info("waiting for rank 0 to precompute the reference log-probs of the {} set into {}",
                   name, cache_file.string());
    wait_for_rank_zero(
        [&] { return cached = read_cache(cache_file, key, offsets.back(), chosen, negatives); },
        settings_.cache_wait,
        "the reference log-probs of the " + name + " set to " + cache_file.string());
  }
  if (cached) {
    logger()->info("reference log-probs of the {} set read from {}", name, cache_file.string());
  } else {
    logger()->info("precomputing the reference model's log-probs of {} {} examples", pairs.size(),
                   name);
    negatives.assign(static_cast<std::size_t>(offsets.back()), 0.0);
    at::NoGradGuard no_grad;
    for (std::size_t begin = 0; begin < pairs.size(); begin += kPrecomputeBatch) {
      std::vector<preference::ExampleToScore> batch;
      const std::size_t end = std::min(pairs.size(), begin + kPrecomputeBatch);
      for (std::size_t i = begin; i < end; ++i) {
        batch.push_back(
            {{&pairs[i].chosen_input_ids, pairs[i].chosen_prompt_length}, own_negatives(pairs[i])});
      }
      const auto scores = preference::score_examples(*model_, batch, scoring_, false);
      const at::Tensor c = scores.chosen_logps_sum.to(at::kCPU, at::kDouble);
      const at::Tensor n = scores.negative_logps_sum.to(at::kCPU, at::kDouble);
      for (std::size_t i = begin; i < end; ++i) {
        const auto row = static_cast<std::int64_t>(i - begin);
        chosen[i] = c[row].item<double>();
        for (std::int64_t k = 0; k < offsets[i + 1] - offsets[i]; ++k) {
          negatives[static_cast<std::size_t>(offsets[i] + k)] = n[row][k].item<double>();
        }
      }
    }
    fs::create_directories(cache_file.parent_path());
    safetensors::Metadata metadata = safetensors::default_metadata();
    metadata["wizard_reference_key"] = key;
    metadata["wizard_reference_model"] = settings_.model_dir.string();
    safetensors::save(cache_file,
                      {{"chosen", at::tensor(chosen, at::kDouble)},
                       {"negatives", at::tensor(negatives, at::kDouble)},
                       {"offsets", at::tensor(offsets, at::kLong)}},
                      metadata);
    logger()->info("reference log-probs of the {} set cached in {}", name, cache_file.string());
  }
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    precomputed_[&pairs[i].chosen_input_ids] = chosen[i];
    const auto refs = own_negatives(pairs[i]);
    for (std::size_t k = 0; k < refs.size(); ++k) {
      precomputed_[refs[k].ids] = negatives[static_cast<std::size_t>(offsets[i]) + k];
    }
  }
}

std::pair<at::Tensor, at::Tensor> ReferenceModel::score(
    const std::vector<preference::ExampleToScore>& examples, at::Device device) const {
  if (precomputed_.empty()) {
    at::NoGradGuard no_grad;
    const auto scores = preference::score_examples(*model_, examples, scoring_, false);
    return {scores.chosen_logps_sum.to(device), scores.negative_logps_sum.to(device)};
  }
  std::size_t k_max = 0;
  for (const auto& example : examples) k_max = std::max(k_max, example.negatives.size());
  std::vector<double> chosen, negatives(examples.size() * k_max, 0.0);
  const auto lookup = [&](const preference::SequenceRef& s) {
    const auto found = precomputed_.find(s.ids);
    if (found == precomputed_.end()) {
      throw Error(
          "no precomputed reference log-prob for an answer of this batch (an in-batch "
          "negative?); precompute_ref_log_probs covers the data's own answers only");
    }
    return found->second;
  };
  for (std::size_t i = 0; i < examples.size(); ++i) {
    chosen.push_back(lookup(examples[i].chosen));
    for (std::size_t k = 0; k < examples[i].negatives.size(); ++k) {
      negatives[i * k_max + k] = lookup(examples[i].negatives[k]);
    }
  }
  const auto options = at::TensorOptions().dtype(at::kDouble);
  return {at::tensor(chosen, options).to(device, at::kFloat),
          at::tensor(negatives, options)
              .view({static_cast<std::int64_t>(examples.size()), static_cast<std::int64_t>(k_max)})
              .to(device, at::kFloat)};
}

}  // namespace wizard::cpo
