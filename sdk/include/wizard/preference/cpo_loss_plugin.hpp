// The base of the built-in CPO loss plugins (plugins/losses/*), usable by
// third-party losses of the same family. Options, validation, log-prob
// reduction, AlphaPO, rewards and the NLL term follow TRL's CPOTrainer; the
// derived class only supplies the per-pair formula:
//
//   struct HingeLoss : CpoLossPlugin<HingeLoss, CpoLossType::Hinge> {
//     static constexpr const char* kSummary = "...";
//     using CpoLossPlugin::CpoLossPlugin;
//     static at::Tensor losses(const at::Tensor& logits, const CpoLossSettings& s) {
//       return at::relu(1 - s.beta * logits);
//     }
//   };
#pragma once

#include "wizard/plugin/loss.hpp"
#include "wizard/preference/cpo_loss.hpp"
#include "wizard/preference/cpo_options.hpp"

namespace wizard::preference {

template <class Derived, CpoLossType Type>
class CpoLossPlugin : public Loss {
 public:
  static OptionDocs options() { return cpo_loss_options(Type); }

  CpoLossPlugin(const Config& config, PluginHost& /*host*/)
      : settings_(read_cpo_loss_settings(config, Type)) {}

  PreferenceLoss compute(const PreferenceLogps& logps) const override {
    const CpoMargin margin = cpo_margin(logps, settings_.reduction, settings_.alpha);
    return assemble_cpo_loss(margin, Derived::losses(margin.logits, settings_), settings_.beta,
                             settings_.cpo_alpha, logps.nll_loss);
  }

  // The settings in effect (after CPOConfig's alphapo rewrite).
  const CpoLossSettings& settings() const { return settings_; }

 private:
  CpoLossSettings settings_;
};

}  // namespace wizard::preference
