#include "wizard/preference/scoring_work.hpp"

#include "wizard/model/weights.hpp"

namespace wizard::preference {

ScoringWork& ScoringWork::operator+=(const ScoringWork& other) {
  tokens_real += other.tokens_real;
  tokens_computed += other.tokens_computed;
  lm_head_positions += other.lm_head_positions;
  attention_pairs += other.attention_pairs;
  return *this;
}

int64_t non_embedding_parameters(const model::ModelConfig& config) {
  int64_t total = 0;
  for (const auto& spec : model::parameter_specs(config)) {
    if (spec.name == "model.embed_tokens.weight" || spec.name == "lm_head.weight") continue;
    int64_t count = 1;
    for (const int64_t size : spec.shape) count *= size;
    total += count;
  }
  return total;
}

double training_flops(const model::ModelConfig& config, const ScoringWork& work) {
  const double n = static_cast<double>(non_embedding_parameters(config));
  const double head = static_cast<double>(config.vocab_size) * config.hidden_size;
  const double attention_width =
      static_cast<double>(config.num_hidden_layers) * config.num_attention_heads * config.head_dim;
  const double t = static_cast<double>(work.tokens_computed);
  const double p = static_cast<double>(work.lm_head_positions);
  const double a = static_cast<double>(work.attention_pairs);
  return 6 * n * t + 6 * head * p + 12 * attention_width * a;
}

}  // namespace wizard::preference
