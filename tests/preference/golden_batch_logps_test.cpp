// TRL's log-prob path on the reference logits of every model in
// cpo_losses.json: per-sequence sums, averages, token counts and the NLL, in
// float32 and in every other dtype the fixture lists (bfloat16).
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "golden_refs.hpp"
#include "preference_test_support.hpp"
#include "test_device.hpp"
#include "wizard/preference/batch_logps.hpp"

namespace pref = wizard::preference;
using nlohmann::json;
using wizard::test::CpoBatchRefs;
using wizard::test::ErrorRecord;

namespace {

const std::string kPerSequencePrefix = "per_sequence_";

wizard::test::Tolerance tolerance_of(const std::string& dtype_name) {
  return dtype_name == "float32" ? wizard::test::kFloat32Tolerance
                                 : wizard::test::kBfloat16Tolerance;
}

}  // namespace

TEST(GoldenBatchLogps, LabelsAreTheFixtureBatch) {
  for (const CpoBatchRefs& batch : wizard::test::cpo_batches()) {
    SCOPED_TRACE(batch.model_name);
    const auto labels =
        batch.model->at("concatenated_labels").get<std::vector<std::vector<int64_t>>>();
    ASSERT_EQ(batch.labels.size(0), static_cast<int64_t>(labels.size()));
    ASSERT_EQ(batch.labels.size(0), 2 * batch.n_pairs);
    for (std::size_t row = 0; row < labels.size(); ++row) {
      EXPECT_TRUE(
          batch.labels[static_cast<int64_t>(row)].equal(at::tensor(labels[row], at::kLong)));
    }
  }
}

TEST(GoldenBatchLogps, GetBatchLogpsAndNllMatchTrl) {
  ErrorRecord errors;
  long sets = 0;
  for (const CpoBatchRefs& batch : wizard::test::cpo_batches()) {
    for (const auto& [key, per_sequence] : batch.model->items()) {
      if (key.rfind(kPerSequencePrefix, 0) != 0) continue;
      const std::string dtype_name = key.substr(kPerSequencePrefix.size());
      SCOPED_TRACE(batch.model_name + " " + dtype_name);
      const auto tolerance = tolerance_of(dtype_name);
      const at::Tensor logits =
          batch.logits.to(wizard::test::test_device(), wizard::test::dtype_named(dtype_name));
      const at::Tensor labels = batch.labels.to(wizard::test::test_device());

      const at::Tensor sums = pref::get_batch_logps(logits, labels, false);
      const at::Tensor averages = pref::get_batch_logps(logits, labels, true);
      errors.expect_near(dtype_name, "logps_sum", sums, per_sequence.at("logps_sum"), tolerance);
      errors.expect_near(dtype_name, "logps_avg", averages, per_sequence.at("logps_avg"),
                         tolerance);
      EXPECT_TRUE(
          pref::scored_token_counts(batch.labels)
              .equal(at::tensor(wizard::test::doubles_of(per_sequence.at("n_scored_tokens")),
                                at::kDouble)
                         .to(at::kFloat)));

      // What a recipe hands the loss: the same sums split in halves, and TRL's NLL.
      const auto logps = pref::concatenated_preference_scores(logits, labels);
      EXPECT_TRUE(logps.chosen_logps_sum.equal(sums.slice(0, 0, batch.n_pairs)));
      EXPECT_TRUE(logps.negative_logps_sum.squeeze(1).equal(sums.slice(0, batch.n_pairs)));
      for (const json& test_case : batch.model->at("cases")) {
        // TRL computed the NLL only where cpo_alpha != 0.
        if (test_case.at("logits_dtype") != dtype_name ||
            test_case.at("effective").at("cpo_alpha").get<double>() == 0) {
          continue;
        }
        errors.expect_near(dtype_name, "nll_loss", logps.nll_loss, test_case.at("nll_loss"),
                           tolerance);
      }
      ++sets;
    }
  }
  EXPECT_GT(sets, 0);
  std::cout << "checked " << sets << " per-sequence sets\n";
  errors.print();
}

TEST(GoldenBatchLogps, CompletionLogitSumsAreTheScoredPositions) {
  // wizard's logits/* definition, recomputed here position by position.
  for (const CpoBatchRefs& batch : wizard::test::cpo_batches()) {
    SCOPED_TRACE(batch.model_name);
    const auto logits = batch.logits.to(at::kDouble).contiguous();
    const auto labels = batch.labels.contiguous();
    const auto value = logits.accessor<double, 3>();
    const auto label = labels.accessor<int64_t, 2>();
    double sum[2] = {0, 0};
    double count[2] = {0, 0};
    for (int64_t row = 0; row < logits.size(0); ++row) {
      const int half = row < batch.n_pairs ? 0 : 1;
      for (int64_t t = 0; t + 1 < logits.size(1); ++t) {
        if (label[row][t + 1] == -100) continue;
        for (int64_t v = 0; v < logits.size(2); ++v) sum[half] += value[row][t][v];
        count[half] += static_cast<double>(logits.size(2));
      }
    }
    const auto sums = pref::completion_logit_sums(batch.logits, batch.labels);
    EXPECT_NEAR(sums.chosen_sum.item<double>(), sum[0], 1e-9 * count[0]);
    EXPECT_NEAR(sums.rejected_sum.item<double>(), sum[1], 1e-9 * count[1]);
    EXPECT_EQ(sums.chosen_count.item<double>(), count[0]);
    EXPECT_EQ(sums.rejected_count.item<double>(), count[1]);
  }
}
