// Every case of multi_negative_losses.json (refs README, section G) through the loss plugins'
// real .so files, on the test device: each case's options as the loss's table, its inputs as
// PreferenceScores (float64: the reference evaluates the formulas in float64), and the
// per-example losses, the loss and every metric the case lists compared within
// |wizard - reference| <= 1e-5 * max(1, |reference|).
//
// The file holds NaN where its generator let a masked negative in: masked entries there have
// 0 tokens, so a loss that averages over tokens (ipo, simpo) takes 0/0 for them, and the NaN
// survives the generator's masking. A masked negative must not count, so where the reference
// is NaN wizard's value must be finite (it is checked against the formulas by the hand-computed
// unit tests); every other value is compared.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <string>

#include "golden_refs.hpp"
#include "preference_test_support.hpp"
#include "test_device.hpp"
#include "test_support.hpp"
#include "wizard/preference/metrics.hpp"

namespace pref = wizard::preference;
using nlohmann::json;
using wizard::test::doubles_of;
using wizard::test::ErrorRecord;
using wizard::test::Tolerance;

namespace {

// refs README, section G: |wizard - reference| <= 1e-5 * max(1, |reference|).
long reference_nans = 0;  // reference values that are NaN (see the top of the file)

// A NaN reference (null here) asks for a finite value.
void expect_close(ErrorRecord& errors, const std::string& category, const std::string& what,
                  double actual, const json& reference) {
  if (reference.is_null()) {
    EXPECT_TRUE(std::isfinite(actual)) << what << " = " << actual;
    ++reference_nans;
    return;
  }
  const double expected = reference.get<double>();
  const Tolerance tolerance{0.0, 1e-5 * std::max(1.0, std::abs(expected))};
  errors.expect_near(category, what, actual, expected, tolerance);
}

void expect_close(ErrorRecord& errors, const std::string& category, const std::string& what,
                  const at::Tensor& actual, const json& reference) {
  const json values = reference.is_array() ? reference : json::array({reference});
  const at::Tensor got = actual.to(at::kCPU, at::kDouble).contiguous().reshape({-1});
  ASSERT_EQ(got.numel(), static_cast<int64_t>(values.size())) << what;
  for (std::size_t i = 0; i < values.size(); ++i) {
    expect_close(errors, category, what + "[" + std::to_string(i) + "]",
                 got[static_cast<int64_t>(i)].item<double>(), values[i]);
  }
}

// JSON with Python's bare NaN (outside strings) read as null.
json parse_with_nan(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        out += text[i++];  // keep the escaped character as it is
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (text.compare(i, 3, "NaN") == 0) {
      out += "null";
      i += 2;
      continue;
    }
    if (i < text.size()) out += text[i];
  }
  return json::parse(out);
}

const json& multi_negative_losses_json() {
  static const json root = parse_with_nan(
      wizard::test::read_text(wizard::test::refs_dir() / "multi_negative_losses.json"));
  return root;
}

// The case's options but loss_type, as the loss plugin's TOML table.
std::string options_table(const json& options) {
  std::string toml;
  for (const auto& [key, value] : options.items()) {
    if (key != "loss_type") toml += key + " = " + value.dump() + "\n";
  }
  return toml;
}

at::Tensor tensor_of(const json& values, at::ScalarType dtype = at::kDouble) {
  std::vector<double> flat;
  std::vector<int64_t> shape{static_cast<int64_t>(values.size())};
  for (const json& value : values) {
    if (value.is_array()) {
      shape.resize(1);
      shape.push_back(static_cast<int64_t>(value.size()));
      for (double v : doubles_of(value)) flat.push_back(v);
    } else {
      flat.push_back(value.get<double>());
    }
  }
  return at::tensor(flat, at::kDouble).reshape(shape).to(wizard::test::test_device(), dtype);
}

wizard::PreferenceScores scores_of(const json& inputs) {
  wizard::PreferenceScores scores;
  scores.chosen_logps_sum = tensor_of(inputs.at("chosen_logps_sum"));
  scores.chosen_tokens = tensor_of(inputs.at("chosen_tokens"));
  scores.negative_logps_sum = tensor_of(inputs.at("negative_logps_sum"));
  scores.negative_tokens = tensor_of(inputs.at("negative_tokens"));
  scores.negative_mask = tensor_of(inputs.at("negative_mask"), at::kBool);
  scores.nll_loss = tensor_of(json::array({inputs.at("nll_loss")})).reshape({});
  return scores;
}

// The logits/* metrics are not part of these cases; any sums do.
pref::CompletionLogitSums unit_logit_sums() {
  const at::Tensor one =
      at::ones({}, at::TensorOptions(wizard::test::test_device()).dtype(at::kDouble));
  return {one, one, one, one};
}

}  // namespace

TEST(GoldenMultiNegativeLosses, PluginsReproduceEveryCase) {
  const json& cases = multi_negative_losses_json().at("cases");
  ErrorRecord errors;
  long checked = 0;
  for (std::size_t index = 0; index < cases.size(); ++index) {
    const json& test_case = cases[index];
    const json& options = test_case.at("options");
    SCOPED_TRACE("case " + std::to_string(index) + " " + options.dump());
    const std::string category = options.at("loss_type").get<std::string>() + " " +
                                 options.at("multi_negative").get<std::string>();
    const auto loss = wizard::test::create_loss(options.at("loss_type"), options_table(options));
    const auto out = loss->compute(scores_of(test_case.at("inputs")));
    expect_close(errors, category, "losses", out.losses, test_case.at("losses"));
    expect_close(errors, category, "loss", out.loss, test_case.at("loss"));
    const auto metrics = pref::preference_metrics(out, unit_logit_sums(), pref::MetricSplit::Train);
    const std::map<std::string, double> ours(metrics.begin(), metrics.end());
    for (const auto& [name, value] : test_case.at("metrics").items()) {
      ASSERT_TRUE(ours.count(name)) << "no metric " << name;
      expect_close(errors, category, name, ours.at(name), value);
    }
    ++checked;
  }
  EXPECT_GT(checked, 0) << "multi_negative_losses.json has no cases";
  std::cout << "checked " << checked << " cases of multi_negative_losses.json (" << reference_nans
            << " NaN reference values: wizard's are finite)\n";
  errors.print();
}
