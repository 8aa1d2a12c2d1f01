#include "contrastive_settings.hpp"

#include <string>

#include "feature_keys.hpp"

namespace wizard::cpo {

OptionDocs ContrastiveSettings::options() {
  return {
      {"contrastive_weight", "float", "0",
       "the embedding contrastive term: loss += contrastive_weight x InfoNCE (0: off)"},
      {"contrastive_temperature", "float", "0.05", "InfoNCE's temperature"},
      {"normalize_embeddings", "bool", "true", "L2-normalise queries and keys"},
      {"projection_dim", "int", "", "a two-layer MLP head to this size (default: none)"},
      {"use_queue", "bool", "false", "MoCo: earlier steps' keys are negatives too"},
      {"queue_size", "int", "65536", "keys the queue keeps (use_queue)"},
      {"use_momentum", "bool", "false", "keys from an EMA (momentum) encoder"},
      {"momentum_beta", "float", "0.999", "the momentum encoder's EMA factor"},
      {"momentum_scope", "string", "model",
       "what the momentum encoder averages: model (a copy of the policy) or projection_head"},
      {"simcse_dropout", "float", "0",
       "dropout on the pooled embeddings, and SimCSE's two-view term on the chosen answers"},
  };
}

ContrastiveSettings ContrastiveSettings::read(const Config& args) {
  ContrastiveSettings out;
  const auto non_negative = [&](const char* key, double fallback) {
    const double value = args.get<double>(key, fallback);
    if (!(value >= 0)) args.fail(key, "must be 0 or more");
    return value;
  };
  out.weight = non_negative("contrastive_weight", 0);
  if (!out.enabled()) {
    refuse_while_off(args, options(), "contrastive_weight",
                     "the embedding contrastive term (contrastive_weight = 0)",
                     "set contrastive_weight > 0");
    return out;
  }
  out.temperature = args.get<double>("contrastive_temperature", 0.05);
  if (!(out.temperature > 0)) args.fail("contrastive_temperature", "must be greater than 0");
  out.normalize = args.get<bool>("normalize_embeddings", true);
  if (const auto dim = args.optional<std::int64_t>("projection_dim")) {
    args.check_int_range("projection_dim", *dim, 1, 1 << 20);
    out.projection_dim = *dim;
  }
  out.use_queue = args.get<bool>("use_queue", false);
  out.queue_size = args.get_int("queue_size", 65536, 1, std::int64_t{1} << 30);
  if (args.has("queue_size") && !out.use_queue) {
    args.fail("queue_size", "sizes the key queue, which needs use_queue = true");
  }
  out.use_momentum = args.get<bool>("use_momentum", false);
  out.momentum_beta = args.get<double>("momentum_beta", 0.999);
  if (!(out.momentum_beta >= 0 && out.momentum_beta < 1)) {
    args.fail("momentum_beta", "must be in [0, 1)");
  }
  const std::string scope = args.get<std::string>("momentum_scope", "model");
  if (scope != "model" && scope != "projection_head") {
    args.fail("momentum_scope", "must be \"model\" or \"projection_head\", not \"" + scope + "\"");
  }
  out.momentum_scope = scope == "model" ? MomentumScope::model : MomentumScope::projection_head;
  for (const char* key : {"momentum_beta", "momentum_scope"}) {
    if (args.has(key) && !out.use_momentum) {
      args.fail(key, "configures the momentum encoder, which needs use_momentum = true");
    }
  }
  if (out.use_momentum && out.momentum_scope == MomentumScope::projection_head &&
      out.projection_dim == 0) {
    args.fail("momentum_scope",
              "= \"projection_head\" averages the projection head, but there is none; set "
              "projection_dim or momentum_scope = \"model\"");
  }
  out.simcse_dropout = non_negative("simcse_dropout", 0);
  if (out.simcse_dropout >= 1) args.fail("simcse_dropout", "must be below 1");
  return out;
}

}  // namespace wizard::cpo
