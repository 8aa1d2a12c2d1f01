// Hard-negative mining's parts: exact nearest neighbours against a hand-worked case, the
// answers' embeddings against the model's own forward pass (packed or not), the saved
// embedding blocks a killed run resumes from, and the ranks' shares of the work put back
// together (three threads standing in for three ranks).
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "cached_embeddings.hpp"
#include "nearest_answers.hpp"
#include "rank_share.hpp"
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

TEST(CachedEmbeddings, AShareNamesItsBlocksByTheirPlaceInTheWholeSet) {
  const model::CausalLM& model = tiny_model();
  const std::vector<std::int32_t> a{1, 5, 9}, b{1, 7, 30, 31};
  const std::vector<preference::SequenceRef> share{{&a, 1}, {&b, 2}};
  const fs::path folder = scratch("share-blocks");
  mining::cached_embeddings(model, share, folder, 1, {}, 5);  // rows 5 and 6 of the set
  EXPECT_TRUE(fs::exists(folder / "block-5.safetensors"));
  EXPECT_TRUE(fs::exists(folder / "block-6.safetensors"));
  EXPECT_FALSE(fs::exists(folder / "block-0.safetensors"));
}

TEST(NearestAnswers, ASliceOfTheQueriesIsThoseRowsOfTheWholeSearch) {
  const at::Tensor x = at::randn({9, 4});
  const mining::Neighbours all = mining::exact_nearest(x, 3, 4, {});
  const mining::Neighbours part = mining::exact_nearest(x, 3, 2, {}, 3, 5);  // rows 3..7
  EXPECT_TRUE(at::equal(part.indices, all.indices.narrow(0, 3, 5)));
  EXPECT_TRUE(at::allclose(part.scores, all.scores.narrow(0, 3, 5)));
}

namespace {

// Stands in for a process group: `ranks` threads whose all_gather calls meet.
class ThreadGroup {
 public:
  explicit ThreadGroup(std::int64_t ranks) : slots_(static_cast<std::size_t>(ranks)) {}

  std::vector<at::Tensor> all_gather(std::int64_t rank, const at::Tensor& tensor) {
    std::unique_lock<std::mutex> lock(mutex_);
    const std::int64_t round = round_;
    slots_[static_cast<std::size_t>(rank)] = tensor.clone();
    if (++arrived_ == static_cast<std::int64_t>(slots_.size())) {
      gathered_ = slots_;
      arrived_ = 0;
      ++round_;
      done_.notify_all();
    } else {
      done_.wait(lock, [&] { return round_ != round; });
    }
    return gathered_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<at::Tensor> slots_, gathered_;
  std::int64_t arrived_ = 0, round_ = 0;
};

}  // namespace

TEST(RankShare, SharesCoverTheRowsAndGatherBackInOrder) {
  // 7 rows over 3 ranks: [0, 2), [2, 4), [4, 7) (floor(7 r / 3) to floor(7 (r + 1) / 3)).
  const at::Tensor whole = at::arange(14, at::kLong).view({7, 2});
  ThreadGroup group(3);
  std::vector<mining::RowShare> shares(3);
  std::vector<at::Tensor> gathered(3), from_zero(3);
  std::vector<std::thread> ranks;
  for (std::int64_t r = 0; r < 3; ++r) {
    ranks.emplace_back([&, r] {
      MiningInput input;
      input.rank = r;
      input.world_size = 3;
      input.all_gather = [&, r](const at::Tensor& t) { return group.all_gather(r, t); };
      const mining::RowShare share = mining::row_share(7, input);
      shares[static_cast<std::size_t>(r)] = share;
      gathered[static_cast<std::size_t>(r)] =
          mining::gather_rows(whole.narrow(0, share.first, share.count), 7, input);
      from_zero[static_cast<std::size_t>(r)] =
          mining::from_rank_zero(at::full({2}, r + 10, at::kLong), input);
    });
  }
  for (auto& rank : ranks) rank.join();
  EXPECT_EQ(shares[0].first, 0);
  EXPECT_EQ(shares[0].count, 2);
  EXPECT_EQ(shares[1].first, 2);
  EXPECT_EQ(shares[1].count, 2);
  EXPECT_EQ(shares[2].first, 4);
  EXPECT_EQ(shares[2].count, 3);
  for (std::size_t r = 0; r < 3; ++r) {
    EXPECT_TRUE(at::equal(gathered[r], whole)) << "rank " << r;
    EXPECT_TRUE(at::equal(from_zero[r], at::full({2}, 10, at::kLong))) << "rank " << r;
  }
  // One process: all rows, and the tensor itself.
  const MiningInput alone{};
  EXPECT_EQ(mining::row_share(7, alone).count, 7);
  EXPECT_TRUE(mining::gather_rows(whole, 7, alone).is_same(whole));
}
