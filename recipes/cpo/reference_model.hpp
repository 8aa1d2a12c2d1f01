// The reference model of reference_free = false: a frozen model (the starting policy, or
// reference_model_name) whose log-probabilities of the same answers are subtracted from the
// policy's (with loss_type sigmoid this is DPO). Either it scores each micro-batch (no
// gradients, no optimizer state), or precompute_ref_log_probs scores every answer of the data
// once before training and keeps the sums in a cache file beside the run, reused while the
// data, the reference model and the settings stay the same.
#pragma once

#include <chrono>

#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "wizard/data/trl_preference.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/preference/example_scoring.hpp"

namespace wizard::cpo {

struct ReferenceSettings {
  std::filesystem::path model_dir;  // the reference model's folder (default: the policy's)
  bool precompute = false;
  // A data-parallel run: rank 0 alone computes and writes the cache; the other ranks
  // (computes_cache = false) do not load the reference model, wait for a cache with the
  // matching key, at most cache_wait (ddp_timeout), and read it.
  bool computes_cache = true;
  std::chrono::seconds cache_wait{1800};
};

class ReferenceModel {
 public:
  ReferenceModel(const ReferenceSettings& settings, at::ScalarType dtype, at::Device device,
                 preference::PairScoringOptions scoring);

  // Precomputes every answer of `pairs` (chosen and every own negative) and caches the sums in
  // `cache_file` (a safetensors file, written atomically; reused when its key matches), or,
  // where computes_cache is false, waits for that file. Afterwards score() reads the sums for
  // these pairs.
  void precompute(const std::vector<TokenizedPreference>& pairs, const std::string& name,
                  const std::filesystem::path& cache_file);
  // After precomputing every set: the model itself is no longer needed.
  void release_model() { model_.reset(); }

  // The reference's sums for the micro-batch: [B] for the chosen answers and [B, K] for the
  // negatives (0 where masked), on `device`.
  std::pair<at::Tensor, at::Tensor> score(const std::vector<preference::ExampleToScore>& examples,
                                          at::Device device) const;

  const std::filesystem::path& model_dir() const { return settings_.model_dir; }

 private:
  ReferenceSettings settings_;
  at::ScalarType dtype_;
  at::Device device_;
  preference::PairScoringOptions scoring_;
  std::unique_ptr<model::CausalLM> model_;  // absent once everything is precomputed
  // Precomputed sums by sequence (its token vector's address in the data).
  std::map<const std::vector<std::int32_t>*, double> precomputed_;
};

}  // namespace wizard::cpo
