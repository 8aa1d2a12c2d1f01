// The options of TRL's CPO loss family (CPOConfig v0.25.1 field names and
// defaults), how CPOConfig turns what a user asks for into what CPOTrainer
// uses, and wizard's checks on the values. The loss plugins read their table
// through read_cpo_loss_settings(); see docs/losses.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wizard/base/config.hpp"
#include "wizard/base/export.hpp"

namespace wizard::preference {

// TRL's `loss_type` values. AlphaPO is only ever requested: CPOConfig turns it
// into SimPO with cpo_alpha = 0.
enum class CpoLossType { Sigmoid, Hinge, Ipo, Simpo, AlphaPO };

// "sigmoid", "hinge", "ipo", "simpo", "alphapo".
WIZARD_API const char* cpo_loss_type_name(CpoLossType type);
WIZARD_API std::optional<CpoLossType> parse_cpo_loss_type(std::string_view name);

// Which per-sequence log-prob a loss scores: TRL's get_batch_logps returns
// sums, or per-token averages for ipo and simpo (`average_log_prob`).
enum class LogpReduction { Sum, Average };

// CPOConfig's defaults.
inline constexpr double kDefaultBeta = 0.1;
inline constexpr double kDefaultLabelSmoothing = 0.0;
inline constexpr double kDefaultCpoAlpha = 1.0;
inline constexpr double kDefaultSimpoGamma = 0.5;
inline constexpr double kDefaultAlpha = 0.0;

// What the user asked for, in CPOConfig's terms.
struct CpoLossRequest {
  CpoLossType loss_type = CpoLossType::Sigmoid;
  double beta = kDefaultBeta;
  double label_smoothing = kDefaultLabelSmoothing;
  double cpo_alpha = kDefaultCpoAlpha;
  // SimPO's target margin. Absent: kDefaultSimpoGamma, unless gamma_beta_ratio is given.
  std::optional<double> simpo_gamma;
  // The SimPO authors' spelling of the same margin: simpo_gamma = gamma_beta_ratio * beta.
  std::optional<double> gamma_beta_ratio;
  double alpha = kDefaultAlpha;
};

// What CPOTrainer uses (TRL's `effective` values).
struct CpoLossSettings {
  CpoLossType loss_type = CpoLossType::Sigmoid;  // never AlphaPO
  double beta = kDefaultBeta;
  double label_smoothing = kDefaultLabelSmoothing;  // read by sigmoid and simpo only
  double cpo_alpha = kDefaultCpoAlpha;              // weight of the NLL term
  std::optional<double> simpo_gamma;                // simpo only (TRL ignores it otherwise)
  double gamma_logratios = 0.0;  // simpo: subtracted from the logits, simpo_gamma / beta
  double alpha = kDefaultAlpha;  // AlphaPO reward shape; 0 is the plain log-prob
  LogpReduction reduction = LogpReduction::Sum;
};

// One invalid option: its key and what is wrong with it.
struct CpoOptionProblem {
  std::string key;
  std::string message;
};

// The first invalid value in `request`, if any: beta > 0, label_smoothing in
// [0, 0.5), cpo_alpha >= 0, simpo_gamma / gamma_beta_ratio >= 0 and not both,
// everything finite.
WIZARD_API std::optional<CpoOptionProblem> find_cpo_option_problem(const CpoLossRequest& request);

// CPOConfig.__post_init__ and CPOTrainer.__init__: alphapo becomes simpo with
// cpo_alpha 0; ipo and simpo score averaged log-probs. Throws ConfigError for
// an invalid request.
WIZARD_API CpoLossSettings resolve_cpo_loss(const CpoLossRequest& request);

// The options a loss plugin of `type` documents: TRL's names and defaults.
WIZARD_API OptionDocs cpo_loss_options(CpoLossType type);

// Reads a plugin's table (keys from cpo_loss_options(type)), validates it with
// errors that point at the key, logs what TRL would only warn about (label
// smoothing on hinge/ipo, cpo_alpha on alphapo) and resolves it.
WIZARD_API CpoLossSettings read_cpo_loss_settings(const Config& config, CpoLossType type);

}  // namespace wizard::preference
