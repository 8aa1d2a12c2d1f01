// CPOConfig's option semantics: alphapo rewrite, averaged log-probs, the SimPO
// margin in both spellings, and wizard's value checks.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "wizard/base/error.hpp"
#include "wizard/preference/cpo_options.hpp"

using wizard::preference::CpoLossRequest;
using wizard::preference::CpoLossType;
using wizard::preference::find_cpo_option_problem;
using wizard::preference::LogpReduction;
using wizard::preference::resolve_cpo_loss;

namespace {

std::string problem_key(const CpoLossRequest& request) {
  const auto found = find_cpo_option_problem(request);
  return found ? found->key : "";
}

}  // namespace

TEST(CpoOptions, NamesRoundTrip) {
  for (const auto type : {CpoLossType::Sigmoid, CpoLossType::Hinge, CpoLossType::Ipo,
                          CpoLossType::Simpo, CpoLossType::AlphaPO}) {
    EXPECT_EQ(wizard::preference::parse_cpo_loss_type(cpo_loss_type_name(type)), type);
  }
  EXPECT_FALSE(wizard::preference::parse_cpo_loss_type("dpo").has_value());
}

TEST(CpoOptions, DefaultsAreTrlCpoConfigDefaults) {
  const auto settings = resolve_cpo_loss(CpoLossRequest{});
  EXPECT_EQ(settings.loss_type, CpoLossType::Sigmoid);
  EXPECT_EQ(settings.beta, 0.1);
  EXPECT_EQ(settings.label_smoothing, 0.0);
  EXPECT_EQ(settings.cpo_alpha, 1.0);
  EXPECT_EQ(settings.alpha, 0.0);
  EXPECT_FALSE(settings.simpo_gamma.has_value());  // only simpo reads it
  EXPECT_EQ(settings.reduction, LogpReduction::Sum);
}

TEST(CpoOptions, AlphapoIsSimpoWithoutNll) {
  CpoLossRequest request;
  request.loss_type = CpoLossType::AlphaPO;
  request.cpo_alpha = 1.0;
  request.alpha = 0.25;
  const auto settings = resolve_cpo_loss(request);
  EXPECT_EQ(settings.loss_type, CpoLossType::Simpo);
  EXPECT_EQ(settings.cpo_alpha, 0.0);
  EXPECT_EQ(settings.alpha, 0.25);
  EXPECT_EQ(settings.simpo_gamma, 0.5);
  EXPECT_EQ(settings.reduction, LogpReduction::Average);
}

TEST(CpoOptions, IpoAndSimpoScoreAveragedLogps) {
  CpoLossRequest request;
  for (const auto type : {CpoLossType::Ipo, CpoLossType::Simpo, CpoLossType::AlphaPO}) {
    request.loss_type = type;
    EXPECT_EQ(resolve_cpo_loss(request).reduction, LogpReduction::Average);
  }
  for (const auto type : {CpoLossType::Sigmoid, CpoLossType::Hinge}) {
    request.loss_type = type;
    EXPECT_EQ(resolve_cpo_loss(request).reduction, LogpReduction::Sum);
  }
}

TEST(CpoOptions, SimpoMarginInBothSpellings) {
  CpoLossRequest trl;
  trl.loss_type = CpoLossType::Simpo;
  trl.beta = 2.5;
  trl.simpo_gamma = 1.25;
  // TRL: logits - simpo_gamma / beta = logits - 0.5.
  EXPECT_EQ(resolve_cpo_loss(trl).gamma_logratios, 0.5);

  CpoLossRequest authors;
  authors.loss_type = CpoLossType::Simpo;
  authors.beta = 2.5;
  authors.gamma_beta_ratio = 0.5;
  // SimPO's scripts: logits - gamma_beta_ratio, i.e. simpo_gamma = 0.5 * 2.5 = 1.25.
  const auto settings = resolve_cpo_loss(authors);
  EXPECT_EQ(settings.gamma_logratios, 0.5);
  EXPECT_EQ(settings.simpo_gamma, 1.25);
}

TEST(CpoOptions, InvalidValuesNameTheirKey) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CpoLossRequest request;
  EXPECT_EQ(problem_key(request), "");

  request.beta = 0;
  EXPECT_EQ(problem_key(request), "beta");
  request.beta = nan;
  EXPECT_EQ(problem_key(request), "beta");
  request.beta = 0.1;

  request.label_smoothing = 0.5;
  EXPECT_EQ(problem_key(request), "label_smoothing");
  request.label_smoothing = -0.1;
  EXPECT_EQ(problem_key(request), "label_smoothing");
  request.label_smoothing = 0.49;
  EXPECT_EQ(problem_key(request), "");

  request.cpo_alpha = -1;
  EXPECT_EQ(problem_key(request), "cpo_alpha");
  request.cpo_alpha = 0;

  request.simpo_gamma = -0.5;
  EXPECT_EQ(problem_key(request), "simpo_gamma");
  request.simpo_gamma = 0.5;
  request.gamma_beta_ratio = 0.25;
  EXPECT_EQ(problem_key(request), "gamma_beta_ratio");
  EXPECT_NE(find_cpo_option_problem(request)->message.find("not both"), std::string::npos);
  request.simpo_gamma.reset();
  EXPECT_EQ(problem_key(request), "");

  request.alpha = std::numeric_limits<double>::infinity();
  EXPECT_EQ(problem_key(request), "alpha");
  EXPECT_THROW(resolve_cpo_loss(request), wizard::ConfigError);
}
