// The built-in loss plugins, created from their real .so files, on small hand-computed
// examples on the test device: pairs (K = 1, TRL's losses), several negatives with a mask,
// both modes, margins, weights, a reference model; option documentation, validation errors and
// a recipe's schema defaults.
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
using wizard::test::doubles_on_device;
using wizard::test::loss_registry;
using wizard::test::multi_scores;
using wizard::test::pair_scores;
using wizard::test::value_at;

namespace {

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

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

}  // namespace

TEST(LossPlugins, EachLossDocumentsItsOptions) {
  using Names = std::vector<std::string>;
  const Names tail{"alpha", "multi_negative", "temperature", "preference_weight"};
  auto with_tail = [&](Names names) {
    names.insert(names.end(), tail.begin(), tail.end());
    return names;
  };
  const Names plain = with_tail({"beta", "label_smoothing", "cpo_alpha", "margin"});
  EXPECT_EQ(option_names("sigmoid"), plain);
  EXPECT_EQ(option_names("hinge"), plain);
  EXPECT_EQ(option_names("ipo"), plain);  // margin and temperature only to refuse them
  const Names simpo = with_tail(
      {"beta", "label_smoothing", "cpo_alpha", "simpo_gamma", "gamma_beta_ratio", "margin"});
  EXPECT_EQ(option_names("simpo"), simpo);
  EXPECT_EQ(option_names("alphapo"), simpo);
}

TEST(LossPlugins, EachLossStatesItsRequirements) {
  EXPECT_TRUE(create_loss("sigmoid")->requirements().nll);  // cpo_alpha 1 by default
  EXPECT_FALSE(create_loss("sigmoid", "cpo_alpha = 0\n")->requirements().nll);
  EXPECT_FALSE(create_loss("alphapo", "cpo_alpha = 1\n")->requirements().nll);
  for (const char* name : {"sigmoid", "hinge", "ipo", "simpo", "alphapo"}) {
    EXPECT_TRUE(create_loss(name)->requirements().supports_reference) << name;
  }
}

TEST(LossPlugins, Sigmoid) {
  // Sums: pair 0 margin -1 - -3 = 2, pair 1 margin 0. beta 0.5 -> beta*margin = [1, 0].
  // losses = [log(1 + e^-1), log 2]; loss = mean + cpo_alpha * nll = mean + 1 * 2.
  const auto loss = create_loss("sigmoid", "beta = 0.5\n");
  const auto out = loss->compute(pair_scores({-1.0, -4.0}, {-3.0, -4.0}, {}, {}, 2.0));
  EXPECT_NEAR(value_at(out.losses, 0), softplus_neg(1.0), 1e-12);
  EXPECT_NEAR(value_at(out.losses, 1), std::log(2.0), 1e-12);
  EXPECT_NEAR(out.loss.item<double>(), (softplus_neg(1.0) + std::log(2.0)) / 2 + 2, 1e-12);
  // rewards = 0.5 * logps: [-0.5, -2] and [-1.5, -2]
  EXPECT_EQ(value_at(out.chosen_rewards, 0), -0.5);
  EXPECT_EQ(value_at(out.negative_rewards, 0, 0), -1.5);
  EXPECT_EQ(value_at(out.chosen_logps, 1), -4.0);
  EXPECT_EQ(out.nll_loss.item<double>(), 2.0);
}

TEST(LossPlugins, SigmoidLabelSmoothing) {
  // beta*margin = 1: 0.9 log(1 + e^-1) + 0.1 log(1 + e) = log(1 + e^-1) + 0.1
  const auto loss = create_loss("sigmoid", "beta = 0.5\nlabel_smoothing = 0.1\ncpo_alpha = 0\n");
  const auto out = loss->compute(pair_scores({-1.0}, {-3.0}));
  EXPECT_NEAR(value_at(out.losses, 0), softplus_neg(1.0) + 0.1, 1e-12);
  EXPECT_NEAR(out.loss.item<double>(), softplus_neg(1.0) + 0.1, 1e-12);
  EXPECT_FALSE(out.nll_loss.defined());
}

TEST(LossPlugins, SigmoidPairwiseOverSeveralNegatives) {
  // beta 1. Example 0: chosen -1, negatives -3, -2: z = [2, 1],
  //   L0 = (log(1 + e^-2) + log(1 + e^-1)) / 2.
  // Example 1: chosen -4, one negative -2 (the second masked): z = -2, L1 = log(1 + e^2).
  // loss = (L0 + L1) / 2 + 1 * nll 0.5.
  const auto in = multi_scores({-1.0, -4.0}, {{-3.0, -2.0}, {-2.0}}, {}, {}, 0.5);
  const auto out = create_loss("sigmoid", "beta = 1.0\n")->compute(in);
  const double l0 = (softplus_neg(2.0) + softplus_neg(1.0)) / 2;
  const double l1 = softplus_neg(-2.0);
  EXPECT_NEAR(value_at(out.losses, 0), l0, 1e-12);
  EXPECT_NEAR(value_at(out.losses, 1), l1, 1e-12);
  EXPECT_NEAR(out.loss.item<double>(), (l0 + l1) / 2 + 0.5, 1e-12);
  EXPECT_EQ(value_at(out.negative_rewards, 1, 1), 0.0);  // masked
  EXPECT_TRUE(out.negative_mask.equal(in.negative_mask));
}

TEST(LossPlugins, SigmoidSoftmaxOverSeveralNegatives) {
  // beta 1, chosen 0, negatives -ln 2, -ln 4: z = [ln 2, ln 4], logits 0, -ln 2, -ln 4,
  // softmax weights 1, 1/2, 1/4 (sum 7/4): L = -log(4/7) = log(7/4).
  // temperature 0.5 doubles the logits: weights 1, 1/4, 1/16: L = log(21/16).
  const auto in = multi_scores({0.0}, {{-std::log(2.0), -std::log(4.0)}});
  const std::string softmax = "beta = 1.0\ncpo_alpha = 0\nmulti_negative = \"softmax\"\n";
  EXPECT_NEAR(create_loss("sigmoid", softmax)->compute(in).loss.item<double>(), std::log(7.0 / 4),
              1e-12);
  EXPECT_NEAR(
      create_loss("sigmoid", softmax + "temperature = 0.5\n")->compute(in).loss.item<double>(),
      std::log(21.0 / 16), 1e-12);
  // A margin of 0.5 on the chosen logit: z = [ln 2 - 0.5, ln 4 - 0.5]; weights 1, e^0.5/2,
  // e^0.5/4: L = log(1 + 0.75 e^0.5).
  EXPECT_NEAR(create_loss("sigmoid", softmax + "margin = 0.5\n")->compute(in).loss.item<double>(),
              std::log(1 + 0.75 * std::exp(0.5)), 1e-12);
}

TEST(LossPlugins, MarginAndPreferenceWeight) {
  // beta 1, chosen -1, negative -3: z = 2 - margin 0.5 = 1.5; loss = 0.7 * log(1 + e^-1.5).
  const auto out =
      create_loss("sigmoid", "beta = 1.0\nmargin = 0.5\npreference_weight = 0.7\ncpo_alpha = 0\n")
          ->compute(pair_scores({-1.0}, {-3.0}));
  EXPECT_NEAR(value_at(out.losses, 0), softplus_neg(1.5), 1e-12);
  EXPECT_NEAR(out.loss.item<double>(), 0.7 * softplus_neg(1.5), 1e-12);
  EXPECT_EQ(value_at(out.chosen_rewards, 0), -1.0);  // no margin in the rewards
}

TEST(LossPlugins, Hinge) {
  // beta 0.5, margins [2, 0, -2]: max(0, 1 - [1, 0, -1]) = [0, 1, 2]; mean 1, no NLL.
  const auto loss = create_loss("hinge", "beta = 0.5\ncpo_alpha = 0\n");
  const auto out = loss->compute(pair_scores({-1.0, -4.0, -5.0}, {-3.0, -4.0, -3.0}));
  EXPECT_EQ(value_at(out.losses, 0), 0.0);
  EXPECT_EQ(value_at(out.losses, 1), 1.0);
  EXPECT_EQ(value_at(out.losses, 2), 2.0);
  EXPECT_EQ(out.loss.item<double>(), 1.0);
}

TEST(LossPlugins, HingeOverSeveralNegativesWithAMargin) {
  // beta 0.5, chosen -1, negatives -2, -5: d = [1, 4], z = [0.5, 2]:
  // max(0, 1 - z) = [0.5, 0], L = 0.25. margin 0.5: z = [0, 1.5] -> [1, 0], L = 0.5.
  const auto in = multi_scores({-1.0}, {{-2.0, -5.0}});
  EXPECT_EQ(create_loss("hinge", "beta = 0.5\ncpo_alpha = 0\n")->compute(in).loss.item<double>(),
            0.25);
  EXPECT_EQ(create_loss("hinge", "beta = 0.5\ncpo_alpha = 0\nmargin = 0.5\n")
                ->compute(in)
                .loss.item<double>(),
            0.5);
}

TEST(LossPlugins, HingeIgnoresLabelSmoothingAsTrl) {
  const auto in = pair_scores({-1.0, -5.0}, {-3.0, -3.0});
  const auto plain = create_loss("hinge", "beta = 0.5\n")->compute(in);
  const auto smoothed = create_loss("hinge", "beta = 0.5\nlabel_smoothing = 0.2\n")->compute(in);
  EXPECT_TRUE(plain.losses.equal(smoothed.losses));
}

TEST(LossPlugins, IpoScoresAveragedLogps) {
  // chosen -6 / 3 tokens = -2, rejected -12 / 4 = -3: margin 1.
  // beta 0.25: target 1 / (2 * 0.25) = 2 -> (1 - 2)^2 = 1; rewards 0.25 * [-2], [-3].
  const auto loss = create_loss("ipo", "beta = 0.25\ncpo_alpha = 0.5\n");
  const auto out = loss->compute(pair_scores({-6.0}, {-12.0}, {3.0}, {4.0}, 3.0));
  EXPECT_EQ(value_at(out.losses, 0), 1.0);
  EXPECT_EQ(out.loss.item<double>(), 1.0 + 0.5 * 3.0);
  EXPECT_EQ(value_at(out.chosen_logps, 0), -2.0);
  EXPECT_EQ(value_at(out.chosen_rewards, 0), -0.5);
  EXPECT_EQ(value_at(out.negative_rewards, 0, 0), -0.75);
}

TEST(LossPlugins, IpoOverSeveralNegatives) {
  // Averages: chosen -6/3 = -2; negatives -12/4 = -3 and -12/2 = -6: d = [1, 4].
  // beta 0.25, target 2: (1 - 2)^2 = 1, (4 - 2)^2 = 4; L = 2.5.
  const auto in = multi_scores({-6.0}, {{-12.0, -12.0}}, {3.0}, {{4.0, 2.0}});
  EXPECT_EQ(create_loss("ipo", "beta = 0.25\ncpo_alpha = 0\n")->compute(in).loss.item<double>(),
            2.5);
}

TEST(LossPlugins, SimpoMarginInEachSpelling) {
  // Averages -2 and -3: margin 1. beta 2, gamma 1: 2 * (1 - 1/2) = 1.
  // losses = log(1 + e^-1); rewards = 2 * [-2], [-3] (no margin in the rewards).
  const auto in = pair_scores({-6.0}, {-12.0}, {3.0}, {4.0}, 0.0);
  for (const std::string toml :
       {"beta = 2.0\nsimpo_gamma = 1.0\n", "beta = 2\ngamma_beta_ratio = 0.5\n",
        "beta = 2.0\nmargin = 1.0\n"}) {
    SCOPED_TRACE(toml);
    const auto out = create_loss("simpo", toml)->compute(in);
    EXPECT_NEAR(value_at(out.losses, 0), softplus_neg(1.0), 1e-12);
    EXPECT_EQ(value_at(out.chosen_rewards, 0), -4.0);
    EXPECT_EQ(value_at(out.negative_rewards, 0, 0), -6.0);
  }
  // TRL's default simpo_gamma 0.5: 2 * (1 - 0.25) = 1.5.
  EXPECT_NEAR(value_at(create_loss("simpo", "beta = 2.0\n")->compute(in).losses, 0),
              softplus_neg(1.5), 1e-12);
}

TEST(LossPlugins, SimpoSoftmaxOverSeveralNegatives) {
  // Averages: chosen -4/2 = -2; negatives -6/2 = -3 and -10/2 = -5: d = [1, 3].
  // beta 1, simpo_gamma 0.5: z = [0.5, 2.5]; softmax weights 1, e^-0.5, e^-2.5:
  // L = log(1 + e^-0.5 + e^-2.5).
  const auto in = multi_scores({-4.0}, {{-6.0, -10.0}}, {2.0}, {{2.0, 2.0}});
  const auto out = create_loss("simpo", "beta = 1.0\ncpo_alpha = 0\nmulti_negative = \"softmax\"\n")
                       ->compute(in);
  EXPECT_NEAR(out.loss.item<double>(), std::log(1 + std::exp(-0.5) + std::exp(-2.5)), 1e-12);
}

TEST(LossPlugins, AlphapoIsSimpoWithoutNll) {
  // Averages -4/2 = -2 and -12/3 = -4, alpha 0.5: r = (1 - exp(s)^-0.5) / 0.5
  // = 2 (1 - e^(-s/2)) = 2 (1 - e), 2 (1 - e^2).
  // margin = 2 (e^2 - e) = 9.3415...; beta 0.1, simpo_gamma 0.5: 9.3415 - 5 = 4.3415;
  // losses = log(1 + e^-0.43415). cpo_alpha is forced to 0: the NLL of 5 is not added.
  const double r_chosen = 2 * (1 - std::exp(1.0));
  const double r_rejected = 2 * (1 - std::exp(2.0));
  const double expected = softplus_neg(0.1 * (r_chosen - r_rejected - 5.0));
  const auto in = pair_scores({-4.0}, {-12.0}, {2.0}, {3.0}, 5.0);
  const auto out = create_loss("alphapo", "alpha = 0.5\ncpo_alpha = 1.0\n")->compute(in);
  EXPECT_NEAR(value_at(out.losses, 0), expected, 1e-12);
  EXPECT_NEAR(out.loss.item<double>(), expected, 1e-12);
  EXPECT_NEAR(value_at(out.chosen_rewards, 0), 0.1 * r_chosen, 1e-12);
  EXPECT_NEAR(value_at(out.negative_rewards, 0, 0), 0.1 * r_rejected, 1e-12);
  EXPECT_FALSE(out.nll_loss.defined());
  // The same request as simpo keeps the NLL term.
  const auto simpo = create_loss("simpo", "alpha = 0.5\ncpo_alpha = 1.0\n")->compute(in);
  EXPECT_NEAR(simpo.loss.item<double>(), expected + 5.0, 1e-12);
}

TEST(LossPlugins, AlphaShapesEveryLossType) {
  // Sums -2 and -4 with alpha 0.5 for hinge: margin 2 (e^2 - e) = 9.3415; beta 0.1:
  // max(0, 1 - 0.93415) = 0.06585; rewards 0.1 * 2 (1 - e), 0.1 * 2 (1 - e^2).
  const double margin = 2 * (std::exp(2.0) - std::exp(1.0));
  const auto out = create_loss("hinge", "alpha = 0.5\n")->compute(pair_scores({-2.0}, {-4.0}));
  EXPECT_NEAR(value_at(out.losses, 0), 1 - 0.1 * margin, 1e-12);
  EXPECT_NEAR(value_at(out.chosen_rewards, 0), 0.2 * (1 - std::exp(1.0)), 1e-12);
}

TEST(LossPlugins, WithAReferenceModelSigmoidIsDpo) {
  // DPO: -log sigmoid(beta ((pi_c - ref_c) - (pi_r - ref_r))).
  // Policy sums: chosen -10, rejected -20; reference: -12 and -15.
  // s+ = -10 - -12 = 2, s- = -20 - -15 = -5; beta 0.1: z = 0.7; L = log(1 + e^-0.7).
  // rewards = 0.1 * [2], [-5] (DPO's implicit rewards); logps/* report s.
  auto in = pair_scores({-10.0}, {-20.0}, {5.0}, {4.0}, 0.0);
  in.reference_chosen_logps_sum = doubles_on_device({-12.0});
  in.reference_negative_logps_sum = doubles_on_device({-15.0}).reshape({1, 1});
  const auto dpo = create_loss("sigmoid", "cpo_alpha = 0\n")->compute(in);
  EXPECT_NEAR(value_at(dpo.losses, 0), softplus_neg(0.7), 1e-12);
  EXPECT_NEAR(value_at(dpo.chosen_rewards, 0), 0.2, 1e-12);
  EXPECT_NEAR(value_at(dpo.negative_rewards, 0, 0), -0.5, 1e-12);
  EXPECT_EQ(value_at(dpo.chosen_logps, 0), 2.0);
  // simpo averages both: s+ = -10/5 - -12/5 = 0.4, s- = -20/4 - -15/4 = -1.25: d = 1.65;
  // beta 2, simpo_gamma 0.5: z = 3.3 - 0.5 = 2.8; L = log(1 + e^-2.8).
  const auto simpo = create_loss("simpo", "beta = 2.0\ncpo_alpha = 0\n")->compute(in);
  EXPECT_NEAR(value_at(simpo.losses, 0), softplus_neg(2.8), 1e-12);
  EXPECT_NEAR(value_at(simpo.chosen_logps, 0), 0.4, 1e-12);
}

TEST(LossPlugins, ZeroNllWeightIgnoresAMissingOrNanNll) {
  auto in = pair_scores({-1.0}, {-3.0});
  in.nll_loss = doubles_on_device({std::numeric_limits<double>::quiet_NaN()}).reshape({});
  const auto out = create_loss("sigmoid", "beta = 0.5\ncpo_alpha = 0\n")->compute(in);
  EXPECT_NEAR(out.loss.item<double>(), softplus_neg(1.0), 1e-12);
  in.nll_loss = at::Tensor();
  EXPECT_NO_THROW(create_loss("alphapo")->compute(in));
  EXPECT_THROW(create_loss("sigmoid")->compute(in), wizard::Error);
}

TEST(LossPlugins, InvalidOptionsAreConfigErrorsAtTheirKey) {
  EXPECT_CONTAINS(config_error("sigmoid", "beta = 0\n"), "beta");
  EXPECT_CONTAINS(config_error("sigmoid", "beta = -0.1\n"), "must be a finite number > 0");
  EXPECT_CONTAINS(config_error("simpo", "label_smoothing = 0.5\n"), "[0, 0.5)");
  EXPECT_CONTAINS(config_error("ipo", "cpo_alpha = -1\n"), "cpo_alpha");
  EXPECT_CONTAINS(config_error("simpo", "simpo_gamma = 0.5\ngamma_beta_ratio = 0.25\n"),
                  "not both");
  EXPECT_CONTAINS(config_error("simpo", "simpo_gamma = 0.5\nmargin = 0.25\n"), "not both");
  EXPECT_CONTAINS(config_error("hinge", "alpha = nan\n"), "alpha");
  EXPECT_CONTAINS(config_error("sigmoid", "margin = -1\n"), "margin: must be a finite number >= 0");
  EXPECT_CONTAINS(config_error("sigmoid", "preference_weight = -1\n"), "preference_weight");
  EXPECT_CONTAINS(config_error("sigmoid", "multi_negative = \"listwise\"\n"),
                  "must be \"pairwise\" or \"softmax\"");
  EXPECT_CONTAINS(config_error("sigmoid", "multi_negative = \"softmax\"\ntemperature = 0\n"),
                  "temperature: must be a finite number > 0");
  // Options of other losses are unknown keys, with the nearest valid one.
  EXPECT_CONTAINS(config_error("sigmoid", "simpo_gamma = 0.5\n"), "unknown key 'simpo_gamma'");
  EXPECT_CONTAINS(config_error("simpo", "simpo_gama = 0.5\n"), "did you mean 'simpo_gamma'");
  // The error points at the file and the key.
  const std::string message = config_error("sigmoid", "cpo_alpha = 1.0\nbeta = 0\n");
  EXPECT_CONTAINS(message, "loss.toml:2");
}

TEST(LossPlugins, KeysTheChosenModeDoesNotUseAreErrors) {
  EXPECT_CONTAINS(config_error("sigmoid", "temperature = 0.1\n"),
                  "temperature: is used only with multi_negative = \"softmax\"");
  EXPECT_CONTAINS(config_error("hinge", "temperature = 0.1\n"),
                  "the hinge loss has no softmax mode");
  EXPECT_CONTAINS(config_error("hinge", "multi_negative = \"softmax\"\n"),
                  "multi_negative: the hinge loss has no softmax mode");
  EXPECT_CONTAINS(config_error("ipo", "multi_negative = \"softmax\"\n"), "no softmax mode");
  EXPECT_CONTAINS(config_error("ipo", "margin = 0.1\n"), "margin: the ipo loss has no margin");
  EXPECT_EQ(config_error("ipo", "margin = 0.1\n").find("loss.toml:1"), 0u);
  EXPECT_EQ(config_error("sigmoid", "multi_negative = \"softmax\"\ntemperature = 0.1\n"), "");
}

TEST(LossPlugins, RecipeDefaultsAreDefaultsNotKeysTheUserSet) {
  // The arabic-qwen schema's defaults: softmax, temperature 0.1, margin 0.1.
  const std::string schema = "multi_negative = \"softmax\"\ntemperature = 0.1\nmargin = 0.1\n";
  // sigmoid, beta 1, cpo_alpha 0, chosen 0, one negative -1: z = 1 - 0.1 = 0.9; softmax at
  // tau 0.1 of (0, -9): L = log(1 + e^-9).
  const auto in = pair_scores({0.0}, {-1.0});
  const auto out = create_loss("sigmoid", "beta = 1.0\ncpo_alpha = 0\n", schema)->compute(in);
  EXPECT_NEAR(out.loss.item<double>(), softplus_neg(9.0), 1e-12);
  // The user's pairwise: the default temperature is not theirs, so no error; pairwise with the
  // default margin: L = log(1 + e^-0.9).
  const auto pairwise =
      create_loss("sigmoid", "beta = 1.0\ncpo_alpha = 0\nmulti_negative = \"pairwise\"\n", schema);
  EXPECT_NEAR(pairwise->compute(in).loss.item<double>(), softplus_neg(0.9), 1e-12);
  // ipo has no margin and no softmax mode: the defaults do not apply, and are no error.
  // Averages 0 and -1, beta 0.5: (1 - 1)^2 = 0.
  EXPECT_EQ(
      create_loss("ipo", "beta = 0.5\ncpo_alpha = 0\n", schema)->compute(in).loss.item<double>(),
      0.0);
  // simpo: the schema's margin is SimPO's gamma (not TRL's 0.5), unless the user gives one.
  // beta 1, d = 1: softmax at tau 0.1 of z = 0.9: L = log(1 + e^-9).
  EXPECT_NEAR(
      create_loss("simpo", "beta = 1.0\ncpo_alpha = 0\n", schema)->compute(in).loss.item<double>(),
      softplus_neg(9.0), 1e-12);
  // simpo_gamma 0.6 from the user: z = 0.4, softmax at tau 0.1: L = log(1 + e^-4).
  EXPECT_NEAR(create_loss("simpo", "beta = 1.0\ncpo_alpha = 0\nsimpo_gamma = 0.6\n", schema)
                  ->compute(in)
                  .loss.item<double>(),
              softplus_neg(4.0), 1e-12);
}
