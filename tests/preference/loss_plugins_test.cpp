// The built-in loss plugins, created from their real .so files, on small
// hand-computed pairs; option documentation and validation errors.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "preference_test_support.hpp"
#include "wizard/base/error.hpp"

using wizard::PluginKind;
using wizard::test::create_loss;
using wizard::test::loss_registry;
using wizard::test::pair_logps;

namespace {

double at_(const at::Tensor& tensor, int64_t i) {
  return tensor[i].item<double>();
}

// log(1 + e^-x) = -log sigmoid(x)
double softplus_neg(double x) {
  return std::log1p(std::exp(-x));
}

std::string config_error(const std::string& name, const std::string& toml) {
  try {
    create_loss(name, toml);
  } catch (const wizard::ConfigError& error) {
    return error.what();
  }
  return "";
}

std::vector<std::string> option_names(const std::string& loss) {
  std::vector<std::string> names;
  for (const auto& option : loss_registry().options(PluginKind::Loss, loss, {})) {
    names.push_back(option.name);
  }
  return names;
}

}  // namespace

TEST(LossPlugins, EveryTrlLossTypeIsAPlugin) {
  using Names = std::vector<std::string>;
  EXPECT_EQ(option_names("sigmoid"), (Names{"beta", "label_smoothing", "cpo_alpha", "alpha"}));
  EXPECT_EQ(option_names("hinge"), (Names{"beta", "label_smoothing", "cpo_alpha", "alpha"}));
  EXPECT_EQ(option_names("ipo"), (Names{"beta", "label_smoothing", "cpo_alpha", "alpha"}));
  const Names simpo{"beta",        "label_smoothing",  "cpo_alpha",
                    "simpo_gamma", "gamma_beta_ratio", "alpha"};
  EXPECT_EQ(option_names("simpo"), simpo);
  EXPECT_EQ(option_names("alphapo"), simpo);
}

TEST(LossPlugins, Sigmoid) {
  // Sums: pair 0 margin -1 - -3 = 2, pair 1 margin 0. beta 0.5 -> beta*margin = [1, 0].
  // losses = [log(1 + e^-1), log 2]; loss = mean + cpo_alpha * nll = mean + 1 * 2.
  const auto loss = create_loss("sigmoid", "beta = 0.5\n");
  const auto out = loss->compute(pair_logps({-1.0, -4.0}, {-3.0, -4.0}, {}, {}, 2.0));
  EXPECT_NEAR(at_(out.losses, 0), softplus_neg(1.0), 1e-12);
  EXPECT_NEAR(at_(out.losses, 1), std::log(2.0), 1e-12);
  EXPECT_NEAR(out.loss.item<double>(), (softplus_neg(1.0) + std::log(2.0)) / 2 + 2, 1e-12);
  // rewards = 0.5 * logps: [-0.5, -2] and [-1.5, -2]
  EXPECT_EQ(at_(out.chosen_rewards, 0), -0.5);
  EXPECT_EQ(at_(out.rejected_rewards, 0), -1.5);
  EXPECT_EQ(at_(out.chosen_logps, 1), -4.0);
}

TEST(LossPlugins, SigmoidLabelSmoothing) {
  // beta*margin = 1: 0.9 log(1 + e^-1) + 0.1 log(1 + e) = log(1 + e^-1) + 0.1
  const auto loss = create_loss("sigmoid", "beta = 0.5\nlabel_smoothing = 0.1\ncpo_alpha = 0\n");
  const auto out = loss->compute(pair_logps({-1.0}, {-3.0}));
  EXPECT_NEAR(at_(out.losses, 0), softplus_neg(1.0) + 0.1, 1e-12);
  EXPECT_NEAR(out.loss.item<double>(), softplus_neg(1.0) + 0.1, 1e-12);
}

TEST(LossPlugins, Hinge) {
  // beta 0.5, margins [2, 0, -2]: max(0, 1 - [1, 0, -1]) = [0, 1, 2]; mean 1, no NLL.
  const auto loss = create_loss("hinge", "beta = 0.5\ncpo_alpha = 0\n");
  const auto out = loss->compute(pair_logps({-1.0, -4.0, -5.0}, {-3.0, -4.0, -3.0}));
  EXPECT_EQ(at_(out.losses, 0), 0.0);
  EXPECT_EQ(at_(out.losses, 1), 1.0);
  EXPECT_EQ(at_(out.losses, 2), 2.0);
  EXPECT_EQ(out.loss.item<double>(), 1.0);
}

TEST(LossPlugins, HingeIgnoresLabelSmoothingAsTrl) {
  const auto logps = pair_logps({-1.0, -5.0}, {-3.0, -3.0});
  const auto plain = create_loss("hinge", "beta = 0.5\n")->compute(logps);
  const auto smoothed = create_loss("hinge", "beta = 0.5\nlabel_smoothing = 0.2\n")->compute(logps);
  EXPECT_TRUE(plain.losses.equal(smoothed.losses));
}

TEST(LossPlugins, IpoScoresAveragedLogps) {
  // chosen -6 / 3 tokens = -2, rejected -12 / 4 = -3: margin 1.
  // beta 0.25: target 1 / (2 * 0.25) = 2 -> (1 - 2)^2 = 1; rewards 0.25 * [-2], [-3].
  const auto loss = create_loss("ipo", "beta = 0.25\ncpo_alpha = 0.5\n");
  const auto out = loss->compute(pair_logps({-6.0}, {-12.0}, {3.0}, {4.0}, 3.0));
  EXPECT_EQ(at_(out.losses, 0), 1.0);
  EXPECT_EQ(out.loss.item<double>(), 1.0 + 0.5 * 3.0);
  EXPECT_EQ(at_(out.chosen_logps, 0), -2.0);
  EXPECT_EQ(at_(out.chosen_rewards, 0), -0.5);
  EXPECT_EQ(at_(out.rejected_rewards, 0), -0.75);
}

TEST(LossPlugins, SimpoMarginBothSpellings) {
  // Averages -2 and -3: margin 1. beta 2, simpo_gamma 1: 1 - 1/2 = 0.5; beta * 0.5 = 1.
  // losses = log(1 + e^-1); rewards = 2 * [-2], [-3] (no margin in the rewards).
  const auto logps = pair_logps({-6.0}, {-12.0}, {3.0}, {4.0}, 0.0);
  for (const std::string toml :
       {"beta = 2.0\nsimpo_gamma = 1.0\n", "beta = 2\ngamma_beta_ratio = 0.5\n"}) {
    SCOPED_TRACE(toml);
    const auto out = create_loss("simpo", toml)->compute(logps);
    EXPECT_NEAR(at_(out.losses, 0), softplus_neg(1.0), 1e-12);
    EXPECT_EQ(at_(out.chosen_rewards, 0), -4.0);
    EXPECT_EQ(at_(out.rejected_rewards, 0), -6.0);
  }
}

TEST(LossPlugins, AlphapoIsSimpoWithoutNll) {
  // Averages -4/2 = -2 and -12/3 = -4, alpha 0.5: r = (1 - exp(logp)^-0.5) / 0.5
  // = 2 (1 - e^(-logp/2)) = 2 (1 - e), 2 (1 - e^2).
  // margin = 2 (e^2 - e) = 9.3415...; beta 0.1, simpo_gamma 0.5: 9.3415 - 5 = 4.3415;
  // losses = log(1 + e^-0.43415). cpo_alpha is forced to 0: the NLL of 5 is not added.
  const double r_chosen = 2 * (1 - std::exp(1.0));
  const double r_rejected = 2 * (1 - std::exp(2.0));
  const double expected = softplus_neg(0.1 * (r_chosen - r_rejected - 5.0));
  const auto logps = pair_logps({-4.0}, {-12.0}, {2.0}, {3.0}, 5.0);
  const auto out = create_loss("alphapo", "alpha = 0.5\ncpo_alpha = 1.0\n")->compute(logps);
  EXPECT_NEAR(at_(out.losses, 0), expected, 1e-12);
  EXPECT_NEAR(out.loss.item<double>(), expected, 1e-12);
  EXPECT_NEAR(at_(out.chosen_rewards, 0), 0.1 * r_chosen, 1e-12);
  EXPECT_NEAR(at_(out.rejected_rewards, 0), 0.1 * r_rejected, 1e-12);
  // The same request as simpo keeps the NLL term.
  const auto simpo = create_loss("simpo", "alpha = 0.5\ncpo_alpha = 1.0\n")->compute(logps);
  EXPECT_NEAR(simpo.loss.item<double>(), expected + 5.0, 1e-12);
}

TEST(LossPlugins, AlphaShapesEveryLossType) {
  // Sums -2 and -4 with alpha 0.5 for hinge: margin 2 (e^2 - e) = 9.3415; beta 0.1:
  // max(0, 1 - 0.93415) = 0.06585; rewards 0.1 * 2 (1 - e), 0.1 * 2 (1 - e^2).
  const double margin = 2 * (std::exp(2.0) - std::exp(1.0));
  const auto out = create_loss("hinge", "alpha = 0.5\n")->compute(pair_logps({-2.0}, {-4.0}));
  EXPECT_NEAR(at_(out.losses, 0), 1 - 0.1 * margin, 1e-12);
  EXPECT_NEAR(at_(out.chosen_rewards, 0), 0.2 * (1 - std::exp(1.0)), 1e-12);
}

TEST(LossPlugins, ZeroNllWeightIgnoresAMissingOrNanNll) {
  auto logps = pair_logps({-1.0}, {-3.0});
  logps.nll_loss = at::tensor(std::numeric_limits<double>::quiet_NaN(), at::kDouble);
  const auto out = create_loss("sigmoid", "beta = 0.5\ncpo_alpha = 0\n")->compute(logps);
  EXPECT_NEAR(out.loss.item<double>(), softplus_neg(1.0), 1e-12);
  logps.nll_loss = at::Tensor();
  EXPECT_NO_THROW(create_loss("alphapo")->compute(logps));
  EXPECT_THROW(create_loss("sigmoid")->compute(logps), wizard::Error);
}

TEST(LossPlugins, InvalidOptionsAreConfigErrorsAtTheirKey) {
  EXPECT_NE(config_error("sigmoid", "beta = 0\n").find("beta"), std::string::npos);
  EXPECT_NE(config_error("sigmoid", "beta = -0.1\n").find("must be a finite number > 0"),
            std::string::npos);
  EXPECT_NE(config_error("simpo", "label_smoothing = 0.5\n").find("[0, 0.5)"), std::string::npos);
  EXPECT_NE(config_error("ipo", "cpo_alpha = -1\n").find("cpo_alpha"), std::string::npos);
  EXPECT_NE(config_error("simpo", "simpo_gamma = 0.5\ngamma_beta_ratio = 0.25\n").find("not both"),
            std::string::npos);
  EXPECT_NE(config_error("hinge", "alpha = nan\n").find("alpha"), std::string::npos);
  // Options of other loss types are unknown keys, with the nearest valid one.
  EXPECT_NE(config_error("sigmoid", "simpo_gamma = 0.5\n").find("unknown key 'simpo_gamma'"),
            std::string::npos);
  EXPECT_NE(config_error("simpo", "simpo_gama = 0.5\n").find("did you mean 'simpo_gamma'"),
            std::string::npos);
  // The error points at the file and the key.
  const std::string message = config_error("sigmoid", "cpo_alpha = 1.0\nbeta = 0\n");
  EXPECT_NE(message.find("loss.toml"), std::string::npos) << message;
  EXPECT_NE(message.find(":2"), std::string::npos) << message;
}
