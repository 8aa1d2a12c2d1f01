// Sharded optimizer state (optimizer_sharding, ZeRO stage 1) on loopback Gloo, against the
// same runs without it (dp_train_helper's regression task, a few seconds per run):
//
// Tolerance: relative 1e-5 on losses and gradient norms, 1e-5 absolute on weights of size ~1,
// as the data-parallel tests have it. The gradients themselves are the same sums (a reduce to
// the owner adds the ranks' buckets as the all-reduce does), but the global norm is summed
// from the owners' shares (sqrt of a sum of squared per-rank norms, in double) where one
// process takes torch's norm of the per-tensor norms, so the clipping coefficient can differ
// in its last float32 bit; bfloat16 weights then round to the neighbouring value (4e-3), as in
// the unsharded bfloat16 test. Resuming on the same ranks is exact (0 tolerance).
//
// Also: a rank that owns nothing; 8-bit AdamW (each owner keeps its own blocks); the bytes of
// optimizer state per rank (hand-computed below) halving at 2 ranks; checkpoints with a shard
// per rank, resumed on the same ranks, on 3 ranks, without sharding and from an unsharded
// checkpoint; NaN and infinite evaluation results broadcast from rank 0.
#include <gtest/gtest.h>

#include <fstream>

#include "dp_runs.hpp"
#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/checkpoint.hpp"

namespace {

namespace fs = std::filesystem;
using wizard::test::expect_close;
using wizard::test::expect_same_model;
using wizard::test::rank_log;
using wizard::test::run_ranks;
using wizard::test::series;

std::vector<std::string> with(std::vector<std::string> options,
                              const std::vector<std::string>& more) {
  options.insert(options.end(), more.begin(), more.end());
  return options;
}

void expect_in(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "no '" << part << "' in:\n" << text;
}

struct Runs {
  fs::path plain, sharded;
};

// The same run by `world` ranks with and without sharding; returns both folders.
Runs expect_sharded_like_unsharded(int world, const std::vector<std::string>& options,
                                   const std::string& name, double tolerance = 1e-5) {
  const fs::path plain = wizard::test::temp_dir(name + "-plain") / "out";
  const fs::path sharded = wizard::test::temp_dir(name + "-sharded") / "out";
  EXPECT_EQ(run_ranks(world, plain, options), std::vector<int>(world, 0)) << rank_log(plain, 0);
  EXPECT_EQ(run_ranks(world, sharded, with(options, {"--sharded"})), std::vector<int>(world, 0))
      << rank_log(sharded, 0) << rank_log(sharded, 1);
  expect_close(series(sharded, "loss"), series(plain, "loss"), "loss", tolerance);
  expect_close(series(sharded, "grad_norm"), series(plain, "grad_norm"), "grad_norm", tolerance);
  expect_same_model(sharded, plain, tolerance);
  for (int rank = 0; rank < world; ++rank) {
    expect_in(rank_log(sharded, 0), "optimizer_sharding: rank " + std::to_string(rank) + " of " +
                                        std::to_string(world) + " owns ");
  }
  expect_in(rank_log(sharded, 0), "MB reduced to their owners per step");
  return {plain, sharded};
}

// 4 layers of 32 x 32 with biases, 24 examples in global batches of 6, 2 epochs: 8 steps.
const std::vector<std::string> kFourLayers = {"--layers", "4", "--features", "32", "--batch", "6"};

TEST(ShardedOptimizer, TwoRanksTrainAsWithoutShardingWithHalfTheStateEach) {
  const Runs runs = expect_sharded_like_unsharded(2, kFourLayers, "zero2");
  // float32 moments, 8 bytes per element: 4 x (32 x 32 + 32) x 8 = 33792 bytes in all. The
  // partition gives each rank two weights and two biases (largest first, to the lighter
  // rank): 16896 bytes each, half.
  expect_in(rank_log(runs.plain, 0),
            "optimizer state (moments and float32 masters) in bytes: rank 0 33792, rank 1 33792 "
            "(optimizer_sharding = false");
  expect_in(rank_log(runs.sharded, 0),
            "optimizer_sharding: optimizer state (moments and float32 masters) in bytes: rank 0 "
            "16896, rank 1 16896; all ranks together 33792, the most loaded rank 0.500 of it");
}

TEST(ShardedOptimizer, ThreeRanksTrainAsWithoutSharding) {
  // 6 layers over 3 ranks (two weights and two biases each); 20 examples in batches of 6, so
  // the last batch leaves rank 2 nothing to compute while it still owns parameters.
  expect_sharded_like_unsharded(
      3, {"--layers", "6", "--features", "16", "--examples", "20", "--batch", "6"}, "zero3");
}

TEST(ShardedOptimizer, ARankThatOwnsNoParameter) {
  // The one-layer task has 2 tensors: rank 2 of 3 owns none and steps nothing.
  const Runs runs =
      expect_sharded_like_unsharded(3, {"--examples", "20", "--batch", "6"}, "zero-none");
  expect_in(rank_log(runs.sharded, 0), "rank 2 of 3 owns 0 of 2 parameter tensors");
}

TEST(ShardedOptimizer, GradientAccumulationOfBFloat16ParametersOwnedElsewhere) {
  // Non-owners keep float32 sums of the micro-batches' bfloat16 gradients until they are sent.
  expect_sharded_like_unsharded(
      2, {"--layers", "2", "--features", "8", "--batch", "4", "--accumulation", "2", "--bf16"},
      "zero-bf16", 4e-3);
}

TEST(ShardedOptimizer, EightBitAdamWKeepsEachOwnersBlocks) {
  // 2 layers of 64 x 64: each weight (4096 elements) has 8-bit moments, uint8 codes and a
  // float32 absmax per block of 256: 2 x 4096 + 2 x 16 x 4 = 8320 bytes; each bias (64
  // elements, under bitsandbytes' 4096) float32 moments: 2 x 64 x 4 = 512. In all
  // 2 x (8320 + 512) = 17664; sharded, each rank owns one weight and one bias: 8832.
  const Runs runs = expect_sharded_like_unsharded(
      2, {"--8bit", "--layers", "2", "--features", "64", "--batch", "6"}, "zero-8bit");
  expect_in(rank_log(runs.plain, 0),
            "in bytes: rank 0 17664, rank 1 17664 (optimizer_sharding = false");
  expect_in(rank_log(runs.sharded, 0),
            "in bytes: rank 0 8832, rank 1 8832; all ranks together 17664");
}

// 3 layers of 8 x 8, global batch 6: 4 steps per epoch, 2 epochs, a checkpoint every 2 steps.
const std::vector<std::string> kSaving = {"--layers", "3", "--features",   "8", "--batch", "6",
                                          "--epochs", "2", "--save-steps", "2"};

// A fresh output folder holding only `checkpoint` (copied), to resume from.
fs::path folder_with(const fs::path& checkpoint, const std::string& name) {
  const fs::path out = wizard::test::temp_dir(name) / "out";
  fs::create_directories(out);
  fs::copy(checkpoint, out / checkpoint.filename(), fs::copy_options::recursive);
  return out;
}

TEST(ShardedOptimizer, CheckpointsHoldAShardPerRankAndResumeExactly) {
  const fs::path reference = wizard::test::temp_dir("zero-save") / "out";
  ASSERT_EQ(run_ranks(2, reference, with(kSaving, {"--sharded"})), std::vector<int>({0, 0}))
      << rank_log(reference, 0) << rank_log(reference, 1);
  const fs::path checkpoint = reference / "checkpoint-2";
  EXPECT_FALSE(wizard::train::checkpoint_damage(checkpoint));
  EXPECT_TRUE(fs::exists(checkpoint / "optimizer_rank0.safetensors"));
  EXPECT_TRUE(fs::exists(checkpoint / "optimizer_rank1.safetensors"));
  EXPECT_FALSE(fs::exists(checkpoint / wizard::train::kOptimizerFile));
  const nlohmann::json partition = wizard::test::read_json(checkpoint / "optimizer_partition.json");
  EXPECT_EQ(partition["world_size"], 2);
  // Largest first to the lighter rank: weights 0, 1, 2 (64 elements) to ranks 0, 1, 0 (the
  // lower rank on a tie); then all three biases (8) to rank 1, which stays lighter (64 + 24).
  EXPECT_EQ(partition["owners"]["model.layers.2.mlp.up_proj.weight"], 0);
  EXPECT_EQ(partition["owners"]["model.layers.1.mlp.up_proj.weight"], 1);
  // Each shard holds its owner's parameters only.
  const auto shard1 = wizard::safetensors::File::open(checkpoint / "optimizer_rank1.safetensors");
  EXPECT_TRUE(shard1.contains("exp_avg.model.layers.1.mlp.up_proj.weight"));
  EXPECT_FALSE(shard1.contains("exp_avg.model.layers.0.mlp.up_proj.weight"));
  // No hidden shard folder is left behind.
  for (const auto& entry : fs::directory_iterator(reference)) {
    EXPECT_NE(entry.path().filename().string().rfind(".checkpoint-", 0), 0u) << entry.path();
  }

  // A checkpoint without one of its shards does not count.
  const fs::path damaged = folder_with(checkpoint, "zero-damaged") / "checkpoint-2";
  fs::remove(damaged / "optimizer_rank1.safetensors");
  const auto damage = wizard::train::checkpoint_damage(damaged);
  ASSERT_TRUE(damage);
  expect_in(*damage, "lacks optimizer_rank1.safetensors");

  const fs::path resumed = folder_with(checkpoint, "zero-resume");
  ASSERT_EQ(run_ranks(2, resumed, with(kSaving, {"--sharded", "--resume"})),
            std::vector<int>({0, 0}))
      << rank_log(resumed, 0) << rank_log(resumed, 1);
  expect_in(rank_log(resumed, 0), "optimizer_sharding: every rank resumes its own shard");
  EXPECT_EQ(series(resumed, "loss"), series(reference, "loss"));
  EXPECT_EQ(series(resumed, "grad_norm"), series(reference, "grad_norm"));
  expect_same_model(resumed, reference, 0.0);
}

TEST(ShardedOptimizer, ResumesOnOtherRanksAndAcrossShardingRepartitioned) {
  // The global batch is the same for any number of ranks here, so every resumed run must
  // continue as the uninterrupted 2-rank run, whichever way its optimizer state is split.
  const fs::path reference = wizard::test::temp_dir("zero-repartition") / "out";
  ASSERT_EQ(run_ranks(2, reference, with(kSaving, {"--sharded"})), std::vector<int>({0, 0}))
      << rank_log(reference, 0);
  const fs::path unsharded = wizard::test::temp_dir("zero-unsharded-save") / "out";
  ASSERT_EQ(run_ranks(2, unsharded, kSaving), std::vector<int>({0, 0})) << rank_log(unsharded, 0);

  // Each resumed run continues as the reference did, within the tolerance of another number
  // of ranks, and rank 0 says how the state was split before and now.
  const auto expect_resumed = [&](const fs::path& checkpoint, const std::string& name, int world,
                                  const std::vector<std::string>& options,
                                  const std::string& message) {
    SCOPED_TRACE(name);
    const fs::path dir = folder_with(checkpoint, name);
    ASSERT_EQ(run_ranks(world, dir, with(options, {"--resume"})),
              std::vector<int>(std::max(world, 1), 0))
        << rank_log(dir, 0);
    expect_in(rank_log(dir, 0), message);
    expect_close(series(dir, "loss"), series(reference, "loss"), "loss");
    expect_same_model(dir, reference, 1e-5);
  };
  // 2 sharded ranks -> 3 sharded ranks. On 3 ranks: weights 0, 1, 2 to ranks 0, 1, 2, then
  // biases 0, 1, 2 likewise. Before: weights 0, 2 on rank 0, everything else on rank 1. So
  // weight 2 (0 -> 2), bias 0 (1 -> 0) and bias 2 (1 -> 2) change owner.
  expect_resumed(reference / "checkpoint-2", "zero-to-3", 3, with(kSaving, {"--sharded"}),
                 "the checkpoint's optimizer state was sharded over 2 rank(s), this run has 3: "
                 "re-partitioned, 3 of 6 parameter tensor(s) change owner; rank 0 owns 2 (1 from "
                 "another rank's shard); rank 1 owns 2 (0 from another rank's shard); rank 2 owns "
                 "2 (2 from another rank's shard)");
  // 2 sharded ranks -> one process without sharding.
  expect_resumed(reference / "checkpoint-2", "zero-to-1", 0, kSaving,
                 "optimizer_sharding is off here, so every rank loads the whole state from its 2 "
                 "shard(s)");
  // An unsharded 2-rank checkpoint -> 2 sharded ranks.
  expect_resumed(unsharded / "checkpoint-2", "zero-from-plain", 2, with(kSaving, {"--sharded"}),
                 "the checkpoint's optimizer state is not sharded (optimizer.safetensors); each "
                 "rank takes its own tensors' state from it");
}

TEST(ShardedOptimizer, OneProcessAcceptsTheKeyAndChangesNothing) {
  const std::vector<std::string> options = {"--layers", "2", "--features", "8", "--epochs", "1"};
  const fs::path plain = wizard::test::temp_dir("zero-single-plain") / "out";
  const fs::path keyed = wizard::test::temp_dir("zero-single-keyed") / "out";
  ASSERT_EQ(run_ranks(0, plain, options), std::vector<int>({0}));
  ASSERT_EQ(run_ranks(0, keyed, with(options, {"--sharded"})), std::vector<int>({0}))
      << rank_log(keyed, 0);
  expect_in(rank_log(keyed, 0), "optimizer_sharding = true in a single process: nothing to share");
  EXPECT_EQ(series(keyed, "loss"), series(plain, "loss"));
  expect_same_model(keyed, plain, 0.0);
}

TEST(DataParallelEvaluation, NanAndInfiniteResultsReachEveryRank) {
  // Rank 0 evaluates (eval_loss NaN, eval_reward +inf) and broadcasts the results as JSON,
  // which has no NaN: the other ranks used to fail reading them back as numbers.
  const fs::path dir = wizard::test::temp_dir("dp-nan-eval") / "out";
  ASSERT_EQ(run_ranks(2, dir, {"--batch", "6", "--epochs", "1", "--nan-eval"}),
            std::vector<int>({0, 0}))
      << rank_log(dir, 0) << rank_log(dir, 1);
  expect_in(rank_log(dir, 0), "eval_loss is nan");
  int evaluations = 0;
  for (const auto& event : wizard::test::read_jsonl(dir / "metrics.jsonl")) {
    if (event.contains("eval_loss")) evaluations += 1;
  }
  EXPECT_EQ(evaluations, 2);  // after steps 2 and 4
}

}  // namespace
