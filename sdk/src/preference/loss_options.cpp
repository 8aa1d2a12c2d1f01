#include "wizard/preference/loss_options.hpp"

#include <spdlog/fmt/fmt.h>

#include <cmath>
#include <vector>

#include "wizard/base/log.hpp"

namespace wizard::preference {

namespace {

constexpr double kDefaultBeta = 0.1;        // CPOConfig
constexpr double kDefaultCpoAlpha = 1.0;    // CPOConfig
constexpr double kDefaultSimpoGamma = 0.5;  // CPOConfig

std::string loss_named(const LossOptionRules& rules) {
  return fmt::format("the {} loss", rules.loss_name);
}

double read_checked(const Config& config, const std::string& key, double fallback, bool ok(double),
                    const std::string& requirement) {
  const double value = config.get<double>(key, fallback);
  if (!ok(value)) config.fail(key, fmt::format("{} (got {})", requirement, value));
  return value;
}

// TRL accepts these values and does not use them; say so where they were written.
void warn_ignored(const Config& config, const std::string& key, double value,
                  const std::string& why) {
  logger()->warn("{}: {} = {} is ignored: {}", config.location(key).str(), config.key_path(key),
                 value, why);
}

double read_label_smoothing(const Config& config, const LossOptionRules& rules) {
  const double smoothing = read_checked(
      config, "label_smoothing", 0.0,
      [](double v) { return std::isfinite(v) && v >= 0 && v < 0.5; },
      "must be in [0, 0.5): the probability that a preference is flipped");
  if (rules.label_smoothing) return smoothing;
  if (smoothing > 0) {
    warn_ignored(config, "label_smoothing", smoothing,
                 loss_named(rules) + " has no label smoothing (TRL ignores it too)");
  }
  return 0.0;
}

double read_cpo_alpha(const Config& config, const LossOptionRules& rules) {
  const std::string meaning = "the weight of the NLL term; 0 leaves it out";
  if (rules.nll) return read_non_negative(config, "cpo_alpha", kDefaultCpoAlpha, meaning);
  // Only a value the user wrote is worth a warning; a schema default is not theirs.
  if (config.has("cpo_alpha")) {
    const double cpo_alpha = read_non_negative(config, "cpo_alpha", 0.0, meaning);
    if (cpo_alpha != 0) {
      warn_ignored(config, "cpo_alpha", cpo_alpha,
                   loss_named(rules) +
                       " has no NLL term (as TRL's loss_type alphapo, which sets cpo_alpha to "
                       "0); use a loss with one (simpo) to keep it");
    }
  }
  return 0.0;
}

// SimPO's margin has three spellings; one of them, the user's before a recipe's default.
void read_simpo_margin(const Config& config, LossOptions& out) {
  const std::vector<std::string> keys{"simpo_gamma", "gamma_beta_ratio", "margin"};
  std::string chosen;
  for (const std::string& key : keys) {
    if (!config.has(key)) continue;
    if (!chosen.empty()) {
      config.fail(key, fmt::format("sets the margin {} sets (simpo_gamma = margin = "
                                   "gamma_beta_ratio * beta); give one of them, not both",
                                   config.key_path(chosen)));
    }
    chosen = key;
  }
  for (const std::string& key : keys) {
    if (chosen.empty() && config.find_default(key) != nullptr) chosen = key;
  }
  if (chosen == "gamma_beta_ratio") {
    // The SimPO authors' scripts: logits - gamma_beta_ratio, i.e. gamma = ratio * beta.
    out.gamma_over_beta = read_non_negative(config, chosen, 0.0, "SimPO's margin divided by beta");
    out.gamma = out.gamma_over_beta * out.beta;
    return;
  }
  out.gamma = read_non_negative(config, chosen.empty() ? "simpo_gamma" : chosen, kDefaultSimpoGamma,
                                "SimPO's target reward margin");
  out.gamma_over_beta = out.gamma / out.beta;  // TRL's gamma_logratios
}

void read_margin(const Config& config, const LossOptionRules& rules, LossOptions& out) {
  switch (rules.margin) {
    case MarginKey::margin:
      out.gamma = read_non_negative(config, "margin", 0.0, "the target margin");
      out.gamma_over_beta = out.gamma / out.beta;
      return;
    case MarginKey::simpo_gamma:
      read_simpo_margin(config, out);
      return;
    case MarginKey::none:
      if (config.has("margin")) {
        config.fail("margin", loss_named(rules) +
                                  " has no margin (its target is part of its formula); remove "
                                  "this key");
      }
      return;
  }
}

void read_mode(const Config& config, const LossOptionRules& rules, LossOptions& out) {
  const std::string mode = config.get<std::string>("multi_negative", "pairwise");
  if (mode == "softmax") {
    out.mode = MultiNegative::softmax;
  } else if (mode != "pairwise") {
    config.fail("multi_negative",
                fmt::format("must be \"pairwise\" or \"softmax\" (got \"{}\")", mode));
  }
  if (out.mode == MultiNegative::softmax && !rules.softmax) {
    if (config.has("multi_negative")) {
      config.fail("multi_negative",
                  loss_named(rules) +
                      " has no softmax mode; use \"pairwise\", or a loss with one (sigmoid, "
                      "simpo)");
    }
    // A schema's default the loss cannot honour: the loss's own mode, said aloud.
    logger()->info("{}: multi_negative defaults to \"softmax\" here, but {} has only \"pairwise\"",
                   config.location().str(), loss_named(rules));
    out.mode = MultiNegative::pairwise;
  }
  if (out.mode == MultiNegative::softmax) {
    out.temperature = read_positive(config, "temperature", 1.0, "the softmax temperature tau");
  } else if (config.has("temperature")) {
    config.fail("temperature",
                rules.softmax ? "is used only with multi_negative = \"softmax\"; remove it, or "
                                "set multi_negative = \"softmax\""
                              : loss_named(rules) +
                                    " has no softmax mode, so no temperature; "
                                    "remove this key");
  }
}

}  // namespace

const char* multi_negative_name(MultiNegative mode) {
  return mode == MultiNegative::softmax ? "softmax" : "pairwise";
}

double read_positive(const Config& config, const std::string& key, double fallback,
                     const std::string& meaning) {
  return read_checked(
      config, key, fallback, [](double v) { return std::isfinite(v) && v > 0; },
      "must be a finite number > 0 (" + meaning + ")");
}

double read_non_negative(const Config& config, const std::string& key, double fallback,
                         const std::string& meaning) {
  return read_checked(
      config, key, fallback, [](double v) { return std::isfinite(v) && v >= 0; },
      "must be a finite number >= 0 (" + meaning + ")");
}

double read_finite(const Config& config, const std::string& key, double fallback,
                   const std::string& meaning) {
  return read_checked(
      config, key, fallback, [](double v) { return std::isfinite(v); },
      "must be a finite number (" + meaning + ")");
}

OptionDocs loss_option_docs(const LossOptionRules& rules) {
  OptionDocs docs;
  docs.push_back({"beta", "float", "0.1", rules.beta_help});
  docs.push_back({"label_smoothing", "float", "0.0",
                  rules.label_smoothing ? "probability that a preference is flipped, in [0, 0.5)"
                                        : "ignored by this loss, as in TRL (a warning when > 0)"});
  docs.push_back({"cpo_alpha", "float", rules.nll ? "1.0" : "0.0",
                  rules.nll ? "weight of the NLL (behaviour cloning) term; 0 leaves it out"
                            : "ignored: this loss has no NLL term, as TRL's alphapo (a warning "
                              "when not 0)"});
  switch (rules.margin) {
    case MarginKey::simpo_gamma:
      docs.push_back({"simpo_gamma", "float", "0.5",
                      "target reward margin gamma: the pair term is f(beta * d - gamma)"});
      docs.push_back({"gamma_beta_ratio", "float", "",
                      "gamma / beta, the SimPO authors' spelling (instead of simpo_gamma)"});
      docs.push_back(
          {"margin", "float", "", "gamma under wizard's generic name (instead of simpo_gamma)"});
      break;
    case MarginKey::margin:
      docs.push_back({"margin", "float", "0.0",
                      "target margin gamma: the pair term is f(beta * d - gamma); softmax: the "
                      "chosen logit loses gamma"});
      break;
    case MarginKey::none:
      docs.push_back({"margin", "float", "", "not used by this loss: setting it is an error"});
      break;
  }
  docs.push_back({"alpha", "float", "0.0",
                  "AlphaPO reward shape r(s) = (1 - exp(s)^(-alpha)) / alpha; 0 uses s"});
  docs.push_back({"multi_negative", "string", "pairwise",
                  rules.softmax ? "how K negatives combine: pairwise (mean of the pair losses) or "
                                  "softmax (InfoNCE over the chosen and its negatives)"
                                : "how K negatives combine: pairwise only (mean of the pair "
                                  "losses)"});
  docs.push_back({"temperature", "float", "1.0",
                  rules.softmax ? "softmax mode's tau (logits are divided by it); an error with "
                                  "pairwise"
                                : "not used (no softmax mode): setting it is an error"});
  docs.push_back({"preference_weight", "float", "1.0",
                  "multiplies the mean preference loss (not the NLL term)"});
  return docs;
}

LossOptions read_loss_options(const Config& config, const LossOptionRules& rules) {
  LossOptions out;
  out.beta = read_positive(config, "beta", kDefaultBeta, "TRL's default is 0.1");
  out.label_smoothing = read_label_smoothing(config, rules);
  out.weights.cpo_alpha = read_cpo_alpha(config, rules);
  read_margin(config, rules, out);
  out.alpha = read_finite(config, "alpha", 0.0, "0 turns AlphaPO off");
  read_mode(config, rules, out);
  out.weights.preference_weight =
      read_non_negative(config, "preference_weight", 1.0, "multiplies the mean preference loss");
  return out;
}

OptionDocs trl_loss_fields() {
  return {{"beta", "float", "0.1", "the loss's beta"},
          {"label_smoothing", "float", "0.0", "the loss's label smoothing"},
          {"cpo_alpha", "float", "1.0", "weight of the NLL term"},
          {"simpo_gamma", "float", "0.5", "SimPO's target margin (read by simpo and alphapo)"},
          {"alpha", "float", "0.0", "AlphaPO's reward shape"}};
}

}  // namespace wizard::preference
