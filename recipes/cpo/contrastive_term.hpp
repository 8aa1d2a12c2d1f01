// The embedding contrastive term (docs/cpo.md, "The contrastive term"): the query q_i is the
// policy's last hidden state mean-pooled over example i's prompt tokens, a key k the same over
// an answer's tokens; both through the projection head when there is one, L2-normalised when
// normalize_embeddings. L_con is InfoNCE (info_nce.hpp) with the chosen answer's key as the
// positive and, as negatives, the example's negatives' keys, the other examples' chosen keys
// in the micro-batch and, with use_queue, the queue of earlier steps' chosen keys. With
// use_momentum the keys come from the momentum encoder (momentum_encoder.hpp), without
// gradients. With simcse_dropout > 0, training applies dropout to the pooled states, and
// SimCSE's term is added: two dropout views of each chosen answer's pooled state, the second
// view of the same answer the positive, the other answers' second views the negatives.
// Evaluation uses neither dropout nor the queue.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "contrastive_settings.hpp"
#include "key_queue.hpp"
#include "momentum_encoder.hpp"
#include "projection_head.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/preference/example_scoring.hpp"
#include "wizard/train/adamw.hpp"

namespace wizard::cpo {

// The file in each checkpoint folder (and the final model folder) holding the projection
// head, the momentum averages and the queue.
inline constexpr const char* kContrastiveStateFile = "contrastive_state.safetensors";

struct ContrastiveOutcome {
  at::Tensor loss;      // L_con, scalar with its graph
  at::Tensor accuracy;  // share of examples whose positive ranks first, detached
  at::Tensor keys;      // the chosen keys [B, D], detached (what the queue takes)
};

class ContrastiveTerm {
 public:
  // `momentum_copy`: a second copy of the policy for use_momentum with momentum_scope =
  // model (null otherwise). `seed`: the projection head's initialisation.
  ContrastiveTerm(ContrastiveSettings settings, const model::CausalLM& model,
                  std::unique_ptr<model::CausalLM> momentum_copy, std::uint64_t seed,
                  preference::PairScoringOptions scoring);
  ~ContrastiveTerm();

  double weight() const { return settings_.weight; }

  // L_con of a micro-batch whose scores carry the policy's pooled embeddings; `ids`: the
  // examples' indices (an example's own queued keys are not its negatives). `training`:
  // dropout and the queue apply.
  ContrastiveOutcome compute(const preference::ExampleScores& scores,
                             const std::vector<preference::ExampleToScore>& examples,
                             const std::vector<std::int64_t>& ids, bool training) const;
  // Adds a training micro-batch's chosen keys to the queue (use_queue).
  void enqueue(const ContrastiveOutcome& outcome, const std::vector<std::int64_t>& ids);
  // After each optimizer step: the momentum encoder's update.
  void optimizer_stepped();

  // The projection head's parameters ("contrastive_head.*"), trained with the model.
  train::NamedParameters parameters() const;

  void save(const std::filesystem::path& file) const;
  void load(const std::filesystem::path& file);

 private:
  at::Tensor embed(const ProjectionHead& head, const at::Tensor& pooled) const;
  at::Tensor dropout(const at::Tensor& pooled, bool training) const;

  ContrastiveSettings settings_;
  preference::PairScoringOptions scoring_;
  at::Device device_;
  ProjectionHead head_;
  std::unique_ptr<MomentumEncoder> momentum_;
  KeyQueue queue_;
};

}  // namespace wizard::cpo
