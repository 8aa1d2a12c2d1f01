// Hard-negative mining's parts: exact nearest neighbours against a hand-worked case, the
// answers' embeddings against the model's own forward pass (packed or not), and the saved
// embedding blocks a killed run resumes from.
#include <gtest/gtest.h>

#include <filesystem>

#include "cached_embeddings.hpp"
#include "nearest_answers.hpp"
#include "wizard/model/init_model.hpp"
#include "wizard/model/layout.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/preference/answer_embeddings.hpp"

namespace fs = std::filesystem;
using namespace wizard;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("wizard-mining-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const model::CausalLM& tiny_model() {
  static const model::CausalLM model = [] {
    const fs::path dir = scratch("model");
    model::init_model(dir, model::InitModelOptions{});
    return model::CausalLM::from_pretrained(dir);
  }();
  return model;
}

std::vector<std::int64_t> row(const at::Tensor& x, std::int64_t r) {
  const at::Tensor c = x[r].contiguous().cpu();
  return std::vector<std::int64_t>(c.data_ptr<std::int64_t>(),
                                   c.data_ptr<std::int64_t>() + c.numel());
}

}  // namespace

TEST(NearestAnswers, ExactSearchByHand) {
  // a = (1,0), b = (0.8,0.6), c = (0,1), d = (-0.6,-0.8). Cosine similarities:
  //   a.b 0.8, a.c 0, a.d -0.6, b.c 0.6, b.d -0.96, c.d -0.8.
  // Two nearest others: a -> b, c; b -> a, c; c -> b, a; d -> a, c. Chunks of 3 rows: the
  // second chunk (d alone) must still skip itself.
  const at::Tensor x =
      at::tensor(std::vector<float>{1, 0, 0.8f, 0.6f, 0, 1, -0.6f, -0.8f}).view({4, 2});
  const mining::Neighbours n = mining::exact_nearest(x, 2, 3, {});
  EXPECT_EQ(row(n.indices, 0), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(row(n.indices, 1), (std::vector<std::int64_t>{0, 2}));
  EXPECT_EQ(row(n.indices, 2), (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(row(n.indices, 3), (std::vector<std::int64_t>{0, 2}));
  EXPECT_NEAR(n.scores[0][0].item<double>(), 0.8, 1e-6);
  EXPECT_NEAR(n.scores[3][1].item<double>(), -0.8, 1e-6);
  // Fewer others than k: the rest is -1.
  const mining::Neighbours two = mining::exact_nearest(x.narrow(0, 0, 2), 3, 8, {});
  EXPECT_EQ(row(two.indices, 0), (std::vector<std::int64_t>{1, -1, -1}));
}

TEST(AnswerEmbeddings, MeanOfTheAnswersHiddenStatesPackedOrNot) {
  const model::CausalLM& model = tiny_model();
  const std::vector<std::int32_t> first{1, 5, 9, 12, 40}, second{1, 7, 30, 31, 32, 33};
  const std::vector<preference::SequenceRef> sequences{{&first, 3}, {&second, 2}};
  // One pass for both, and one pass each (a budget below two sequences).
  const at::Tensor packed = preference::embed_answers(model, sequences);
  preference::AnswerEmbeddingOptions one_each;
  one_each.max_tokens = 6;
  const at::Tensor separate = preference::embed_answers(model, sequences, one_each);
  // By hand: the forward pass of the first sequence alone, its positions 3 and 4 averaged.
  at::NoGradGuard no_grad;
  const at::Tensor ids = at::tensor(std::vector<std::int64_t>{1, 5, 9, 12, 40}).view({1, 5});
  const auto layout = model::AttentionLayout::segmented({{{0, 5, -1}}}, 5);
  const at::Tensor hidden = model.forward(ids, layout.position_ids(), layout);
  const at::Tensor expected = (hidden[0][3] + hidden[0][4]) / 2;
  EXPECT_TRUE(at::allclose(packed[0], expected, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(separate, packed, 1e-5, 1e-6));
  EXPECT_EQ(packed.size(1), model.config().hidden_size);
}

TEST(CachedEmbeddings, AKilledRunLoadsTheBlocksItSaved) {
  const model::CausalLM& model = tiny_model();
  const std::vector<std::int32_t> a{1, 5, 9}, b{1, 7, 30, 31}, c{1, 8, 8, 2};
  const std::vector<preference::SequenceRef> sequences{{&a, 1}, {&b, 2}, {&c, 1}};
  const fs::path folder = scratch("blocks");
  const at::Tensor first = mining::cached_embeddings(model, sequences, folder, 1, {});
  EXPECT_TRUE(fs::exists(folder / "block-1.safetensors"));
  // A block on disk is taken as it is (here replaced by zeros to tell it apart); the missing
  // one is computed again.
  safetensors::save(folder / "block-1.safetensors",
                    {{"embeddings", at::zeros({1, model.config().hidden_size})}});
  fs::remove(folder / "block-2.safetensors");
  const at::Tensor resumed = mining::cached_embeddings(model, sequences, folder, 1, {});
  EXPECT_TRUE(at::equal(resumed[0], first[0]));
  EXPECT_EQ(resumed[1].abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(at::allclose(resumed[2], first[2]));
}
