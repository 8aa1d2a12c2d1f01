// Reading a preference loss's options: TRL's CPOConfig names and defaults (beta, label_smoothing,
// cpo_alpha, simpo_gamma, alpha) and wizard's multi-negative ones (margin, multi_negative,
// temperature, preference_weight), with checks whose errors point at the key (file, line, key
// path). Each loss plugin states its own rules (LossOptionRules) and reads its table with
// read_loss_options(); a loss with other options uses the read_* helpers one by one.
//
// A recipe may give the table defaults of its config schema (Config::with_defaults): a default
// is used like a value the user wrote, except that a key the chosen mode does not use is an
// error only when the user wrote it.
#pragma once

#include <string>

#include "wizard/base/config.hpp"
#include "wizard/base/export.hpp"
#include "wizard/preference/loss_assembly.hpp"
#include "wizard/preference/multi_negative.hpp"

namespace wizard::preference {

// "pairwise", "softmax".
WIZARD_API const char* multi_negative_name(MultiNegative mode);

// Which key holds a loss's target margin gamma.
enum class MarginKey {
  margin,       // `margin`, default 0
  simpo_gamma,  // TRL's `simpo_gamma` (default 0.5), or `gamma_beta_ratio` (gamma / beta), or
                // `margin`: one of the three
  none,         // no margin: `margin` set by the user is an error
};

// A loss's rules for the shared options, stated by the plugin.
struct LossOptionRules {
  const char* loss_name = "";  // for messages: "the ipo loss ..."
  MarginKey margin = MarginKey::margin;
  bool label_smoothing = true;  // false: accepted and ignored with a warning, as TRL does
  bool nll = true;              // false: no NLL term; cpo_alpha is ignored (a warning when
                                // set to anything but 0), as TRL's loss_type alphapo
  bool softmax = true;          // multi_negative = "softmax" is allowed
  const char* beta_help = "inverse temperature: scales the score differences";
};

// The values a loss of the CPO family computes with.
struct LossOptions {
  double beta = 0.1;
  double label_smoothing = 0.0;  // 0 when the rules ignore it
  double alpha = 0.0;            // AlphaPO's reward shape; 0 = the plain score
  double gamma = 0.0;            // the target margin
  double gamma_over_beta = 0.0;  // TRL's gamma_logratios: gamma / beta (gamma_beta_ratio as given)
  MultiNegative mode = MultiNegative::pairwise;
  double temperature = 1.0;  // softmax only
  LossWeights weights;       // preference_weight, cpo_alpha (0 when the rules have no NLL)
};

// The options a loss with `rules` documents (what `wizard help NAME` prints and the keys its
// table accepts), in this order: beta, label_smoothing, cpo_alpha, [simpo_gamma,
// gamma_beta_ratio,] margin, alpha, multi_negative, temperature, preference_weight.
WIZARD_API OptionDocs loss_option_docs(const LossOptionRules& rules);

// Reads and checks a table with those keys: beta > 0, label_smoothing in [0, 0.5), cpo_alpha,
// margins and preference_weight >= 0, temperature > 0, all finite; multi_negative "pairwise"
// or "softmax" (if the rules allow it); temperature set by the user with pairwise, margin set
// with MarginKey::none, and two spellings of one margin are errors naming the key.
WIZARD_API LossOptions read_loss_options(const Config& config, const LossOptionRules& rules);

// The fields of TRL's CPOConfig that configure a loss (beta, label_smoothing, cpo_alpha,
// simpo_gamma, alpha). TRL accepts each whatever the loss type, so a training-wizard config may
// carry, say, simpo_gamma with the sigmoid loss; a recipe reading that schema accepts them.
WIZARD_API OptionDocs trl_loss_fields();

// One option each, read from `config` (the document, else a recipe default, else `fallback`);
// a value out of range is a ConfigError at the key saying what `meaning` needs.
WIZARD_API double read_positive(const Config& config, const std::string& key, double fallback,
                                const std::string& meaning);
WIZARD_API double read_non_negative(const Config& config, const std::string& key, double fallback,
                                    const std::string& meaning);
WIZARD_API double read_finite(const Config& config, const std::string& key, double fallback,
                              const std::string& meaning);

}  // namespace wizard::preference
