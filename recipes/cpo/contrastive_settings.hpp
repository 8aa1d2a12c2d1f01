// The embedding contrastive term's options in training_args_spec (docs/cpo.md, "The
// contrastive term"): off unless contrastive_weight > 0; its other keys are refused while it
// is off, so that none is accepted and ignored.
#pragma once

#include <cstdint>

#include "wizard/base/config.hpp"
#include "wizard/plugin/plugin.hpp"

namespace wizard::cpo {

enum class MomentumScope { model, projection_head };

struct ContrastiveSettings {
  double weight = 0;                // contrastive_weight: loss += weight * L_con
  double temperature = 0.05;        // contrastive_temperature
  bool normalize = true;            // normalize_embeddings
  std::int64_t projection_dim = 0;  // 0: no projection head
  bool use_queue = false;
  std::int64_t queue_size = 65536;
  bool use_momentum = false;
  double momentum_beta = 0.999;
  MomentumScope momentum_scope = MomentumScope::model;
  double simcse_dropout = 0;

  bool enabled() const { return weight > 0; }

  static ContrastiveSettings read(const Config& args);
  static OptionDocs options();
};

}  // namespace wizard::cpo
