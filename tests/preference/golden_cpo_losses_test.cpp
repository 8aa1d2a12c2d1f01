// Every case of cpo_losses.json through the loss plugins' real .so files, on the test device:
// from TRL's stored per-sequence log-probs (one negative per example, K = 1) to the losses,
// rewards, NLL, loss and the metrics TRL logged, in the default pairwise mode and, for the
// losses that have it, in softmax mode (which at K = 1 is the same loss); and CPOConfig's
// requested -> effective rewrite as the plugins' requirements show it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>

#include "golden_refs.hpp"
#include "preference_test_support.hpp"
#include "test_device.hpp"
#include "wizard/base/error.hpp"
#include "wizard/preference/answer_scores.hpp"
#include "wizard/preference/batch_logps.hpp"
#include "wizard/preference/metrics.hpp"

namespace pref = wizard::preference;
using nlohmann::json;
using wizard::test::CpoBatchRefs;
using wizard::test::ErrorRecord;
using wizard::test::Tolerance;

namespace {

// The plugin's table as the CPO recipe builds it: the requested CPOConfig
// fields that the loss documents (TRL ignores the others for that loss type).
std::string plugin_table(const json& requested) {
  const std::string name = requested.at("loss_type");
  std::string toml;
  for (const auto& option :
       wizard::test::loss_registry().options(wizard::PluginKind::Loss, name, {})) {
    if (requested.contains(option.name) && !requested.at(option.name).is_null()) {
      toml += option.name + " = " + requested.at(option.name).dump() + "\n";
    }
  }
  return toml;
}

// TRL's stored per-sequence log-probs of one dtype, as a recipe would pass them.
wizard::PreferenceScores stored_scores(const CpoBatchRefs& batch, const std::string& dtype_name,
                                       const at::Tensor& nll) {
  const json& per_sequence = batch.model->at("per_sequence_" + dtype_name);
  const at::ScalarType dtype = wizard::test::dtype_named(dtype_name);
  const at::Tensor sums =
      at::tensor(wizard::test::doubles_of(per_sequence.at("logps_sum")), at::kDouble)
          .to(wizard::test::test_device(), dtype);
  const at::Tensor counts =
      at::tensor(wizard::test::doubles_of(per_sequence.at("n_scored_tokens")), at::kFloat)
          .to(wizard::test::test_device());
  const int64_t n = batch.n_pairs;
  return pref::one_negative_scores(sums.slice(0, 0, n), counts.slice(0, 0, n), sums.slice(0, n),
                                   counts.slice(0, n), nll);
}

// The losses with a softmax mode, where K = 1 must give TRL's numbers too.
bool has_softmax_mode(const std::string& loss_type) {
  try {
    wizard::test::create_loss(loss_type, "multi_negative = \"softmax\"\n");
    return true;
  } catch (const wizard::ConfigError&) {
    return false;
  }
}

// TRL's logits/chosen and logits/rejected: means over the whole padded halves.
pref::CompletionLogitSums trl_logit_sums(const at::Tensor& logits, int64_t n) {
  const at::Tensor chosen = logits.slice(0, 0, n);
  const at::Tensor rejected = logits.slice(0, n);
  const auto count = [](const at::Tensor& t) {
    return at::tensor(static_cast<double>(t.numel()), at::kDouble);
  };
  return {at::sum(chosen, at::kDouble), count(chosen), at::sum(rejected, at::kDouble),
          count(rejected)};
}

Tolerance tolerance_of(const json& test_case) {
  if (test_case.at("logits_dtype") != "float32") return wizard::test::kBfloat16Tolerance;
  if (test_case.at("effective").at("alpha").get<double>() != 0)
    return wizard::test::kAlphaTolerance;
  return wizard::test::kFloat32Tolerance;
}

// The reward margin is a mean of differences of nearly equal rewards. In bfloat16 each reward
// is rounded to 2^-8 of its size, and torch 1.13 (where the reference was made) rounds
// `beta * logps` differently from LibTorch >= 2 (which multiplies in float32 and rounds once):
// a reward may differ by one bfloat16 step, so the margin by one step of the rewards' size
// (up to 12% of a margin that is 2% of the rewards). Two such steps are allowed.
Tolerance metric_tolerance(const std::string& name, const json& test_case, Tolerance tolerance) {
  if (test_case.at("logits_dtype") == "float32" ||
      name.find("rewards/margins") == std::string::npos)
    return tolerance;
  double rewards = 0;
  for (const char* key : {"chosen_rewards", "rejected_rewards"}) {
    for (double r : wizard::test::doubles_of(test_case.at(key)))
      rewards = std::max(rewards, std::abs(r));
  }
  return {tolerance.rtol, tolerance.atol + 2 * std::ldexp(rewards, -8)};
}

// A preference loss of a pair is f(z) for one number z (sigmoid, simpo: -log sigmoid(z) with
// z = beta (c - r) - gamma; hinge: relu(1 - z); ipo: (z - 1/(2 beta))^2 with z = c - r). In
// bfloat16, z is rounded to 2^-8 of its size, and torch 1.13 rounds some steps differently
// from LibTorch >= 2 (scalars, intrinsics), so f(z) may differ by about |z f'(z)| 2^-8 (1.4%
// of a sigmoid loss at z = 3.6). Two such steps are allowed, for the per-pair losses and
// their mean.
Tolerance loss_tolerance(const json& test_case, Tolerance tolerance) {
  if (test_case.at("logits_dtype") == "float32") return tolerance;
  const json& effective = test_case.at("effective");
  const std::string type = effective.at("loss_type");
  const double beta = effective.at("beta");
  const double gamma =
      effective.at("simpo_gamma").is_number() ? effective.at("simpo_gamma").get<double>() : 0.0;
  const auto chosen = wizard::test::doubles_of(test_case.at("policy_chosen_logps"));
  const auto rejected = wizard::test::doubles_of(test_case.at("policy_rejected_logps"));
  double worst = 0;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    const double d = chosen[i] - rejected[i];
    const double slope_times_z = type == "ipo" ? std::abs(d * 2 * (d - 1 / (2 * beta)))
                                               : std::abs(beta * d - (type == "simpo" ? gamma : 0));
    worst = std::max(worst, slope_times_z);
  }
  return {tolerance.rtol, tolerance.atol + 2 * std::ldexp(worst, -8)};
}

std::string category_of(const json& test_case) {
  if (test_case.at("logits_dtype") != "float32") return test_case.at("logits_dtype");
  return test_case.at("effective").at("alpha").get<double>() != 0 ? "float32 with alpha"
                                                                  : "float32";
}

}  // namespace

TEST(GoldenCpoLosses, RequestedBecomesEffectiveAsCpoConfig) {
  // CPOConfig's rewrite that a loss can show: whether the NLL term is used (alphapo drops it).
  // The rest of `effective` (simpo_gamma only for simpo, the alphapo rewrite to simpo) shows in
  // the numbers below.
  long cases = 0;
  for (const auto& [model_name, model] : wizard::test::cpo_losses_json().at("models").items()) {
    for (const json& test_case : model.at("cases")) {
      const json& requested = test_case.at("requested");
      SCOPED_TRACE(model_name + " " + requested.dump());
      const auto loss =
          wizard::test::create_loss(requested.at("loss_type"), plugin_table(requested));
      EXPECT_EQ(loss->requirements().nll,
                test_case.at("effective").at("cpo_alpha").get<double>() != 0);
      ++cases;
    }
  }
  EXPECT_GT(cases, 0);
}

TEST(GoldenCpoLosses, PluginsReproduceTrlLossesRewardsAndMetrics) {
  ErrorRecord errors;
  long cases = 0;
  for (const CpoBatchRefs& batch : wizard::test::cpo_batches()) {
    // The NLL and logits per dtype, from TRL's log-prob path (tested against
    // the fixture in golden_batch_logps_test.cpp).
    std::map<std::string, at::Tensor> nll_of;
    std::map<std::string, pref::CompletionLogitSums> logit_sums_of;
    for (const json& test_case : batch.model->at("cases")) {
      const std::string dtype_name = test_case.at("logits_dtype");
      SCOPED_TRACE(batch.model_name + " " + dtype_name + " " + test_case.at("requested").dump());
      if (!nll_of.count(dtype_name)) {
        const at::Tensor logits =
            batch.logits.to(wizard::test::test_device(), wizard::test::dtype_named(dtype_name));
        nll_of[dtype_name] = pref::chosen_nll_loss(
            logits, batch.labels.to(wizard::test::test_device()), batch.n_pairs);
        logit_sums_of[dtype_name] = trl_logit_sums(logits, batch.n_pairs);
      }
      const json& requested = test_case.at("requested");
      const std::string loss_type = requested.at("loss_type");
      std::vector<std::string> modes{"pairwise"};
      if (has_softmax_mode(loss_type)) modes.emplace_back("softmax");
      for (const std::string& mode : modes) {
        SCOPED_TRACE(mode);
        const auto loss = wizard::test::create_loss(
            loss_type, plugin_table(requested) + "multi_negative = \"" + mode + "\"\n");
        const auto out = loss->compute(stored_scores(batch, dtype_name, nll_of[dtype_name]));

        const Tolerance tolerance = tolerance_of(test_case);
        const std::string category = category_of(test_case) + " " + mode;
        errors.expect_near(category, "policy_chosen_logps", out.chosen_logps,
                           test_case.at("policy_chosen_logps"), tolerance);
        errors.expect_near(category, "policy_rejected_logps", out.negative_logps.squeeze(1),
                           test_case.at("policy_rejected_logps"), tolerance);
        errors.expect_near(category, "losses", out.losses, test_case.at("losses"),
                           loss_tolerance(test_case, tolerance));
        errors.expect_near(category, "chosen_rewards", out.chosen_rewards,
                           test_case.at("chosen_rewards"), tolerance);
        errors.expect_near(category, "rejected_rewards", out.negative_rewards.squeeze(1),
                           test_case.at("rejected_rewards"), tolerance);
        errors.expect_near(category, "loss", out.loss, test_case.at("loss"),
                           loss_tolerance(test_case, tolerance));

        // TRL logs the NLL only when it computed it (cpo_alpha != 0); the loss says so.
        const at::Tensor nll_value = out.nll_loss.defined() ? out.nll_loss : at::zeros({});
        errors.expect_near(category, "nll_loss", nll_value, test_case.at("nll_loss"), tolerance);

        for (const auto& [split, key] : {std::pair{pref::MetricSplit::Train, "metrics"},
                                         std::pair{pref::MetricSplit::Eval, "eval_metrics"}}) {
          const auto metrics = pref::preference_metrics(out, logit_sums_of[dtype_name], split);
          const std::map<std::string, double> ours(metrics.begin(), metrics.end());
          for (const auto& [name, value] : test_case.at(key).items()) {
            ASSERT_TRUE(ours.count(name)) << "no metric " << name;
            // logits/* averages ~10^4 logits: TRL in float32, wizard in float64.
            const bool logit_mean = name.find("logits/") != std::string::npos;
            errors.expect_near(logit_mean ? category + " logits/*" : category, name, ours.at(name),
                               value.get<double>(), metric_tolerance(name, test_case, tolerance));
          }
          const std::string loss_name = split == pref::MetricSplit::Eval ? "eval_loss" : "loss";
          errors.expect_near(category, loss_name, ours.at(loss_name),
                             test_case.at("loss").get<double>(), tolerance);
          // With one negative, an example beats all its negatives when it beats its one.
          const std::string prefix = split == pref::MetricSplit::Eval ? "eval_" : "";
          EXPECT_EQ(ours.at(prefix + "rewards/accuracies_all"),
                    ours.at(prefix + "rewards/accuracies"));
        }
      }
      ++cases;
    }
  }
  EXPECT_GT(cases, 0);
  std::cout << "checked " << cases << " cases of cpo_losses.json\n";
  errors.print();
}
