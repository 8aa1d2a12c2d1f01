#include "wizard/preference/cpo_options.hpp"

#include <spdlog/fmt/fmt.h>

#include <cmath>

#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"

namespace wizard::preference {

namespace {

constexpr CpoLossType kAllTypes[] = {CpoLossType::Sigmoid, CpoLossType::Hinge, CpoLossType::Ipo,
                                     CpoLossType::Simpo, CpoLossType::AlphaPO};

bool reads_simpo_margin(CpoLossType type) {
  return type == CpoLossType::Simpo || type == CpoLossType::AlphaPO;
}

bool ignores_label_smoothing(CpoLossType type) {
  return type == CpoLossType::Hinge || type == CpoLossType::Ipo;
}

std::optional<CpoOptionProblem> problem(const std::string& key, double value,
                                        const std::string& requirement) {
  return CpoOptionProblem{key, fmt::format("{} (got {})", requirement, value)};
}

// A value that must be finite and at least 0.
std::optional<CpoOptionProblem> check_non_negative(const std::string& key,
                                                   std::optional<double> value,
                                                   const std::string& meaning) {
  if (!value || (std::isfinite(*value) && *value >= 0)) return std::nullopt;
  return problem(key, *value, "must be a finite number >= 0 (" + meaning + ")");
}

// TRL accepts these values and does not use them; say so where they were written.
void warn_ignored(const Config& config, const std::string& key, double value,
                  const std::string& why) {
  logger()->warn("{}: {} = {} is ignored: {}", config.location(key).str(), config.key_path(key),
                 value, why);
}

}  // namespace

const char* cpo_loss_type_name(CpoLossType type) {
  switch (type) {
    case CpoLossType::Sigmoid:
      return "sigmoid";
    case CpoLossType::Hinge:
      return "hinge";
    case CpoLossType::Ipo:
      return "ipo";
    case CpoLossType::Simpo:
      return "simpo";
    case CpoLossType::AlphaPO:
      return "alphapo";
  }
  return "?";
}

std::optional<CpoLossType> parse_cpo_loss_type(std::string_view name) {
  for (const CpoLossType type : kAllTypes) {
    if (name == cpo_loss_type_name(type)) return type;
  }
  return std::nullopt;
}

std::optional<CpoOptionProblem> find_cpo_option_problem(const CpoLossRequest& request) {
  if (!(std::isfinite(request.beta) && request.beta > 0)) {
    return problem("beta", request.beta, "must be a finite number > 0 (TRL's default is 0.1)");
  }
  const double smoothing = request.label_smoothing;
  if (!(std::isfinite(smoothing) && smoothing >= 0 && smoothing < 0.5)) {
    return problem("label_smoothing", smoothing,
                   "must be in [0, 0.5): the probability that a pair's preference is flipped");
  }
  if (auto found = check_non_negative("cpo_alpha", request.cpo_alpha,
                                      "the weight of the NLL term; 0 leaves it out")) {
    return found;
  }
  if (auto found =
          check_non_negative("simpo_gamma", request.simpo_gamma, "SimPO's target reward margin")) {
    return found;
  }
  if (auto found = check_non_negative("gamma_beta_ratio", request.gamma_beta_ratio,
                                      "SimPO's target margin divided by beta")) {
    return found;
  }
  if (request.simpo_gamma && request.gamma_beta_ratio) {
    return CpoOptionProblem{"gamma_beta_ratio",
                            "give either simpo_gamma or gamma_beta_ratio, not both "
                            "(they are one margin: simpo_gamma = gamma_beta_ratio * beta)"};
  }
  if (!std::isfinite(request.alpha)) {
    return problem("alpha", request.alpha, "must be a finite number (0 turns AlphaPO off)");
  }
  return std::nullopt;
}

CpoLossSettings resolve_cpo_loss(const CpoLossRequest& request) {
  if (auto found = find_cpo_option_problem(request)) {
    throw ConfigError(fmt::format("{} loss: option '{}' {}", cpo_loss_type_name(request.loss_type),
                                  found->key, found->message));
  }
  CpoLossSettings settings;
  // CPOConfig.__post_init__: "alphapo" is SimPO without the NLL term.
  const bool alphapo = request.loss_type == CpoLossType::AlphaPO;
  settings.loss_type = alphapo ? CpoLossType::Simpo : request.loss_type;
  settings.cpo_alpha = alphapo ? 0.0 : request.cpo_alpha;
  settings.beta = request.beta;
  settings.label_smoothing = request.label_smoothing;
  settings.alpha = request.alpha;
  if (settings.loss_type == CpoLossType::Simpo) {
    if (request.gamma_beta_ratio) {
      settings.simpo_gamma = *request.gamma_beta_ratio * request.beta;
      settings.gamma_logratios = *request.gamma_beta_ratio;
    } else {
      settings.simpo_gamma = request.simpo_gamma.value_or(kDefaultSimpoGamma);
      settings.gamma_logratios = *settings.simpo_gamma / request.beta;  // TRL's gamma_logratios
    }
  }
  // CPOTrainer.concatenated_forward: average_log_prob = loss_type in ["ipo", "simpo"].
  const bool averaged =
      settings.loss_type == CpoLossType::Ipo || settings.loss_type == CpoLossType::Simpo;
  settings.reduction = averaged ? LogpReduction::Average : LogpReduction::Sum;
  return settings;
}

OptionDocs cpo_loss_options(CpoLossType type) {
  OptionDocs docs;
  docs.push_back({"beta", "float", "0.1",
                  type == CpoLossType::Ipo
                      ? "regularisation tau of IPO: the target margin is 1/(2 beta)"
                      : "temperature: scales the log-prob margin"});
  docs.push_back({"label_smoothing", "float", "0.0",
                  ignores_label_smoothing(type)
                      ? "ignored by this loss, as in TRL (a warning when > 0)"
                      : "probability that a pair's preference is flipped, in [0, 0.5)"});
  docs.push_back({"cpo_alpha", "float", type == CpoLossType::AlphaPO ? "0.0" : "1.0",
                  type == CpoLossType::AlphaPO
                      ? "ignored: alphapo always leaves the NLL term out, as TRL's CPOConfig"
                      : "weight of the NLL (behaviour cloning) term; 0 leaves it out"});
  if (reads_simpo_margin(type)) {
    docs.push_back({"simpo_gamma", "float", "0.5",
                    "SimPO target reward margin: the logits lose simpo_gamma / beta"});
    docs.push_back({"gamma_beta_ratio", "float", "",
                    "the SimPO authors' spelling: simpo_gamma = gamma_beta_ratio * beta "
                    "(instead of simpo_gamma)"});
  }
  docs.push_back({"alpha", "float", "0.0",
                  "AlphaPO reward shape r = (1 - p^(-alpha)) / alpha, p = exp(logp); 0 uses logp"});
  return docs;
}

CpoLossSettings read_cpo_loss_settings(const Config& config, CpoLossType type) {
  const char* name = cpo_loss_type_name(type);
  CpoLossRequest request;
  request.loss_type = type;
  request.beta = config.get<double>("beta", kDefaultBeta);
  request.label_smoothing = config.get<double>("label_smoothing", kDefaultLabelSmoothing);
  if (type == CpoLossType::AlphaPO) {
    const std::optional<double> cpo_alpha = config.optional<double>("cpo_alpha");
    if (cpo_alpha && *cpo_alpha != 0) {
      warn_ignored(config, "cpo_alpha", *cpo_alpha,
                   "alphapo leaves the NLL term out (TRL's CPOConfig sets cpo_alpha to 0); use "
                   "loss_type simpo to keep it");
    }
    request.cpo_alpha = cpo_alpha.value_or(0.0);
  } else {
    request.cpo_alpha = config.get<double>("cpo_alpha", kDefaultCpoAlpha);
  }
  if (reads_simpo_margin(type)) {
    request.gamma_beta_ratio = config.optional<double>("gamma_beta_ratio");
    request.simpo_gamma = request.gamma_beta_ratio
                              ? config.optional<double>("simpo_gamma")
                              : config.get<double>("simpo_gamma", kDefaultSimpoGamma);
  }
  request.alpha = config.get<double>("alpha", kDefaultAlpha);

  if (auto found = find_cpo_option_problem(request)) config.fail(found->key, found->message);
  if (ignores_label_smoothing(type) && request.label_smoothing > 0) {
    warn_ignored(config, "label_smoothing", request.label_smoothing,
                 std::string("the ") + name + " loss has no label smoothing (TRL ignores it too)");
  }
  return resolve_cpo_loss(request);
}

}  // namespace wizard::preference
