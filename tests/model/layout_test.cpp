// AttentionLayout: implied positions, token masks and validation of segments.
#include <gtest/gtest.h>

#include "model_test_support.hpp"
#include "wizard/model/layout.hpp"

namespace wizard::test {
namespace {

using model::AttentionLayout;

at::Tensor row(std::vector<int64_t> values) {
  return at::tensor(values, at::kLong).unsqueeze(0);
}

TEST(AttentionLayout, PaddedPositionsCountTokensAsGenerateDoes) {
  const at::Tensor mask = at::cat({row({0, 0, 1, 1, 1}), row({1, 1, 1, 0, 0})});
  const auto layout = AttentionLayout::padded(mask);
  EXPECT_EQ(layout.rows(), 2);
  EXPECT_EQ(layout.row_length(), 5);
  EXPECT_TRUE(
      at::equal(layout.position_ids(), at::cat({row({1, 1, 0, 1, 2}), row({0, 1, 2, 1, 1})})));
  EXPECT_TRUE(at::equal(layout.token_mask(), mask.to(at::kBool)));
}

TEST(AttentionLayout, PackedPositionsRestartPerSequence) {
  const auto layout = AttentionLayout::packed({{3, 2}, {4}}, 6);
  EXPECT_TRUE(at::equal(layout.position_ids(),
                        at::cat({row({0, 1, 2, 0, 1, 0}), row({0, 1, 2, 3, 0, 0})})));
  EXPECT_TRUE(at::equal(layout.token_mask(),
                        at::cat({row({1, 1, 1, 1, 1, 0}), row({1, 1, 1, 1, 0, 0})}).to(at::kBool)));
}

TEST(AttentionLayout, PrefixedSegmentsContinueAfterTheirPrefixChain) {
  // [prompt 0-2 | chosen 3-4 | rejected 5-7], then a follow-up turn on the chosen answer.
  const auto layout =
      AttentionLayout::segmented({{{0, 3, -1}, {3, 2, 0}, {5, 3, 0}, {8, 2, 1}}}, 10);
  EXPECT_TRUE(at::equal(layout.position_ids(), row({0, 1, 2, 3, 4, 3, 4, 5, 5, 6})));
  EXPECT_EQ(layout.prefix_chain(0, 3), (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(layout.prefix_chain(0, 0).empty());
}

TEST(AttentionLayout, InvalidSegmentsAreErrors) {
  expect_error_containing(
      [] {
        AttentionLayout::segmented({{{0, 3, -1}, {2, 2, -1}}}, 8);
      },
      {"overlap", "row 0"});
  expect_error_containing(
      [] {
        AttentionLayout::segmented({{{0, 3, 1}, {3, 2, -1}}}, 8);
      },
      {"segment 0 of row 0", "prefix 1", "earlier"});
  expect_error_containing(
      [] {
        AttentionLayout::segmented({{{6, 3, -1}}}, 8);
      },
      {"outside the row of 8"});
  expect_error_containing([] { AttentionLayout::packed({{3, 0}}, 8); }, {"empty"});
}

TEST(AttentionLayout, EachKindRefusesTheOthersAccessor) {
  expect_error_containing([] { AttentionLayout::packed({{2}}, 2).attention_mask(); },
                          {"no attention_mask"});
  expect_error_containing([] { AttentionLayout::padded(row({1, 1})).segments(); }, {"no segments"});
}

}  // namespace
}  // namespace wizard::test
