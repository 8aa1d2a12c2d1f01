// The packed and shared-prefix layouts against transformers' logits: the sequences of each
// golden batch, rearranged into segmented rows, must give the logits transformers computed
// for them one per padded row.
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include "model_test_support.hpp"
#include "test_device.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::test {
namespace {

using model::AttentionLayout;
using model::CausalLM;
using model::RowSegments;
using model::Segment;

// refs/README.md: float32 logits, atol 1e-4 (wider on GPUs: test_device.hpp)
const double kLogitTolerance = device_tolerance(1e-4);

// Where a padded row's tokens are: one contiguous run, as left or right padding leaves it.
struct TokenSpan {
  int64_t row = 0;
  int64_t first = 0;
  int64_t length = 0;
};

std::vector<TokenSpan> token_spans(const at::Tensor& attention_mask) {
  std::vector<TokenSpan> spans;
  for (int64_t r = 0; r < attention_mask.size(0); ++r) {
    const at::Tensor where = attention_mask[r].nonzero().squeeze(1);
    const int64_t first = where[0].item<int64_t>();
    const int64_t length = where.numel();
    EXPECT_EQ(where[-1].item<int64_t>(), first + length - 1) << "row " << r << " is not one run";
    spans.push_back({r, first, length});
  }
  return spans;
}

// One piece of a segmented batch and the reference logits it must reproduce.
struct Placement {
  int64_t row = 0;
  int64_t start = 0;  // in the segmented batch
  at::Tensor expected;
};

// Builds input ids [R, T] from per-row token lists and checks the segmented forward pass
// against the placements' expected logits.
void expect_segmented_logits(const CausalLM& model, const std::vector<std::vector<at::Tensor>>& ids,
                             std::vector<RowSegments> segments,
                             const std::vector<Placement>& placements) {
  // A row may stay empty (fewer sequences than rows); such rows are all padding.
  std::vector<at::Tensor> rows;
  int64_t length = 0;
  for (const auto& pieces : ids) {
    rows.push_back(pieces.empty() ? at::zeros({0}, at::kLong) : at::cat(pieces));
    length = std::max(length, rows.back().numel());
  }
  length += 2;  // an uncovered tail: positions no segment owns must not disturb the others
  at::Tensor input_ids = at::zeros({static_cast<int64_t>(rows.size()), length}, at::kLong);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    input_ids[r].narrow(0, 0, rows[r].numel()).copy_(rows[r]);
  }
  const auto layout = AttentionLayout::segmented(std::move(segments), length);
  const at::Tensor logits = model.lm_head(model.forward(input_ids, layout.position_ids(), layout));
  for (const Placement& p : placements) {
    const at::Tensor got = logits[p.row].narrow(0, p.start, p.expected.size(0)).cpu();
    EXPECT_LE((got - p.expected).abs().max().item<double>(), kLogitTolerance)
        << "row " << p.row << " from " << p.start;
  }
}

class GoldenLayouts : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    golden_ = std::make_unique<GoldenModel>(GetParam());
    model_ = std::make_unique<CausalLM>(
        CausalLM::from_pretrained(golden_->dir, at::kFloat, test_device()));
  }
  std::unique_ptr<GoldenModel> golden_;
  std::unique_ptr<CausalLM> model_;
};

// Every sequence of a batch packed into `rows` rows (round robin), each attending only to
// itself with positions restarting at 0.
TEST_P(GoldenLayouts, PackedSequencesMatchTransformersPerSequence) {
  at::NoGradGuard no_grad;
  for (const std::string& batch : golden_->batches()) {
    const at::Tensor ids = golden_->get(batch, "input_ids");
    const at::Tensor positions = golden_->get(batch, "position_ids");
    const at::Tensor logits = golden_->get(batch, "logits");
    const auto spans = token_spans(golden_->get(batch, "attention_mask"));
    for (int64_t rows : {int64_t{1}, int64_t{2}}) {
      SCOPED_TRACE("batch " + batch + " packed into " + std::to_string(rows) + " row(s)");
      std::vector<std::vector<at::Tensor>> row_ids(rows);
      std::vector<RowSegments> segments(rows);
      std::vector<Placement> placements;
      std::vector<int64_t> filled(rows, 0);
      for (std::size_t i = 0; i < spans.size(); ++i) {
        const TokenSpan& s = spans[i];
        // Packing restarts positions at 0; the reference used 0.. on every token run too.
        ASSERT_TRUE(at::equal(positions[s.row].narrow(0, s.first, s.length),
                              at::arange(s.length, at::kLong)));
        const int64_t r = static_cast<int64_t>(i) % rows;
        row_ids[r].push_back(ids[s.row].narrow(0, s.first, s.length));
        segments[r].push_back({filled[r], s.length, -1});
        placements.push_back({r, filled[r], logits[s.row].narrow(0, s.first, s.length)});
        filled[r] += s.length;
      }
      expect_segmented_logits(*model_, row_ids, segments, placements);
    }
  }
}

// Batches with chosen/rejected pairs (reference.json: n_pairs, prompt_lens; rows chosen_0..
// then rejected_0..) rebuilt as [prompt | chosen | rejected] with both completions naming the
// prompt as prefix: once one row per pair, once every pair in a single row.
TEST_P(GoldenLayouts, SharedPrefixMatchesPromptPlusEachCompletionRunAlone) {
  at::NoGradGuard no_grad;
  int checked = 0;
  for (const std::string& batch : golden_->batches()) {
    const auto& info = golden_->reference.at("batches").at(batch);
    if (!info.contains("n_pairs") || !info.contains("prompt_lens")) continue;
    const int64_t pairs = info.at("n_pairs").get<int64_t>();
    const auto prompt_lens = info.at("prompt_lens").get<std::vector<int64_t>>();
    const at::Tensor ids = golden_->get(batch, "input_ids");
    const at::Tensor logits = golden_->get(batch, "logits");
    const auto spans = token_spans(golden_->get(batch, "attention_mask"));
    for (bool one_row : {false, true}) {
      SCOPED_TRACE("batch " + batch + (one_row ? ", all pairs in one row" : ", a row per pair"));
      const int64_t rows = one_row ? 1 : pairs;
      std::vector<std::vector<at::Tensor>> row_ids(rows);
      std::vector<RowSegments> segments(rows);
      std::vector<Placement> placements;
      std::vector<int64_t> filled(rows, 0);
      for (int64_t i = 0; i < pairs; ++i) {
        const TokenSpan& chosen = spans[i];
        const TokenSpan& rejected = spans[i + pairs];
        const int64_t prompt = prompt_lens[i];
        ASSERT_EQ(prompt, prompt_lens[i + pairs]);
        const at::Tensor prompt_ids = ids[chosen.row].narrow(0, chosen.first, prompt);
        ASSERT_TRUE(at::equal(prompt_ids, ids[rejected.row].narrow(0, rejected.first, prompt)));
        const int64_t r = one_row ? 0 : i;
        const int64_t prompt_index = static_cast<int64_t>(segments[r].size());
        const int64_t prompt_start = filled[r];
        row_ids[r].push_back(prompt_ids);
        segments[r].push_back({filled[r], prompt, -1});
        placements.push_back({r, filled[r], logits[chosen.row].narrow(0, chosen.first, prompt)});
        filled[r] += prompt;
        for (const TokenSpan& completion : {chosen, rejected}) {
          const int64_t length = completion.length - prompt;
          row_ids[r].push_back(ids[completion.row].narrow(0, completion.first + prompt, length));
          segments[r].push_back({filled[r], length, prompt_index});
          placements.push_back(
              {r, filled[r], logits[completion.row].narrow(0, completion.first + prompt, length)});
          filled[r] += length;
        }
        ASSERT_EQ(segments[r][prompt_index].start, prompt_start);
      }
      expect_segmented_logits(*model_, row_ids, segments, placements);
    }
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no batch with chosen/rejected pairs in this set";
}

INSTANTIATE_TEST_SUITE_P(Refs, GoldenLayouts, ::testing::ValuesIn(golden_model_names()),
                         [](const auto& info) { return parameter_name(info.param); });

}  // namespace
}  // namespace wizard::test
