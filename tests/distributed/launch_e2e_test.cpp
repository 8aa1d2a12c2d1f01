// `wizard launch` and torchrun running the CPO recipe on 2 ranks over loopback Gloo: the same
// losses as one process with the same global batch (per_device_train_batch_size 4 x 2 ranks
// against 8 x 1). The generated words all have 5 letters, so every rank's share has as many
// tokens per example as the whole batch and the token-averaged NLL term agrees too; the
// tolerance (relative 1e-4) covers float32 sums taken in another order over 6 steps.
// A failing rank is named; SIGINT to the launcher stops every rank with one checkpoint.
// Sharded optimizer state trains the recipe as one process does. precompute_ref_log_probs:
// rank 0 alone scores the reference and writes its cache, the others wait for it and read it.
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include "rank_processes.hpp"
#include "run_outputs.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/lora.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/checkpoint.hpp"

namespace {

namespace fs = std::filesystem;
using wizard::test::RunResult;

fs::path write_config(const std::string& name, const std::string& extra = "") {
  const fs::path dir = wizard::test::temp_dir(name);
  std::ofstream(dir / "config.toml")
      << "spec_class = \"cpo\"\n[transformer_spec]\npretrained_name = \""
      << wizard::test::tiny_model().string()
      << "\"\ndevice = \"cpu\"\n[dataset_spec]\nspec_class = \"synthetic\"\nrows = 200\n"
         "word_length = [5, 5]\n[training_args_spec]\noutput_dir = \"out\"\nbf16 = false\n"
         "per_device_train_batch_size = 8\nlearning_rate = 5e-3\nlogging_steps = 1\n"
         "max_steps = 6\nsave_strategy = \"no\"\nthreads = 1\n"
      << extra;
  return dir;
}

RunResult run_shell(const std::string& command, const fs::path& cwd) {
  FILE* pipe = popen(("cd '" + cwd.string() + "' && " + command + " 2>&1").c_str(), "r");
  RunResult result;
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

void expect_same_losses(const fs::path& a, const fs::path& b) {
  const auto one = wizard::test::metric_series(wizard::test::read_metrics(a), "loss");
  const auto two = wizard::test::metric_series(wizard::test::read_metrics(b), "loss");
  ASSERT_EQ(one.size(), 6u);
  ASSERT_EQ(two.size(), one.size());
  for (std::size_t i = 0; i < one.size(); ++i)
    EXPECT_NEAR(one[i], two[i], 1e-4 * std::abs(two[i])) << "step " << i + 1;
}

// The config of `dir` run by one process into out/ and by `wizard launch` on 2 ranks with
// half the per-device batch into dp/; the launcher's output.
std::string run_single_and_launched(const fs::path& dir) {
  const RunResult single = wizard::test::run_wizard("run config.toml", dir, "timeout 300");
  EXPECT_EQ(single.exit_code, 0) << single.output;
  const RunResult launched = wizard::test::run_wizard(
      "launch --nproc-per-node 2 --master-port 0 -- run config.toml --set "
      "training_args_spec.per_device_train_batch_size=4 --set training_args_spec.output_dir=dp",
      dir, "timeout 300");
  EXPECT_EQ(launched.exit_code, 0) << launched.output;
  return launched.output;
}

TEST(Launch, TwoRanksTrainWithTheLossesOfOneProcess) {
  const fs::path dir = write_config("launch-cpo");
  EXPECT_CONTAINS(run_single_and_launched(dir), "data parallel: 2 ranks over gloo");
  expect_same_losses(dir / "dp", dir / "out");
  EXPECT_TRUE(fs::exists(dir / "dp" / "model.safetensors"));
}

TEST(Launch, ShardedOptimizerStateTrainsAsOneProcess) {
  // The tiny model's 26 tensors split into two halves of 47,392 elements: each rank keeps
  // half of the 758,272 bytes of float32 moments.
  const fs::path dir = write_config("launch-zero", "optimizer_sharding = true\n");
  const std::string output = run_single_and_launched(dir);
  EXPECT_CONTAINS(output, "optimizer_sharding: rank 1 of 2 owns");
  EXPECT_CONTAINS(output, "in bytes: rank 0 379136, rank 1 379136; all ranks together 758272");
  expect_same_losses(dir / "dp", dir / "out");
}

// LoRA under data parallel: the adapters' gradients are averaged like any trainable tensor.
// Dropout 0: with dropout each rank draws its own masks, so the runs could not agree.
TEST(Launch, TwoRanksWithLoraTrainAsOneProcessAndSaveAnAdapterThatLoads) {
  const fs::path dir = write_config(
      "launch-lora", "[transformer_spec.lora_spec]\nr = 4\nlora_alpha = 8\nlora_dropout = 0.0\n");
  const std::string output = run_single_and_launched(dir);
  EXPECT_CONTAINS(output, "data parallel: 2 ranks over gloo");
  EXPECT_CONTAINS(output, "LoRA: r 4");
  expect_same_losses(dir / "dp", dir / "out");
  // The 2-rank adapter: a PEFT folder with the one-process run's tensors (trained, not B's
  // zeros), which loads onto the base model and computes what the one-process adapter does.
  const auto dp = wizard::safetensors::File::open(dir / "dp" / "adapter_model.safetensors");
  const auto one = wizard::safetensors::File::open(dir / "out" / "adapter_model.safetensors");
  ASSERT_EQ(dp.tensors().size(), one.tensors().size());
  for (const auto& tensor : one.tensors()) {
    EXPECT_TRUE(at::allclose(dp.load(tensor.name), one.load(tensor.name), 1e-3, 1e-5))
        << tensor.name;
  }
  const std::string b0 = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";
  EXPECT_GT(dp.load(b0).abs().max().item<double>(), 0.0);
  const wizard::model::LoraOptions options = wizard::model::read_lora_config(dir / "dp");
  EXPECT_EQ(options.r, 4);
  // The tiny model's logits on a few tokens, with the adapter of `adapter` when given.
  auto logits = [&](const std::optional<fs::path>& adapter) {
    auto model = wizard::model::CausalLM::from_pretrained(wizard::test::tiny_model(), at::kFloat);
    if (adapter) wizard::model::load_lora_adapter(model, options, *adapter);
    at::NoGradGuard no_grad;
    const at::Tensor ids = at::arange(1, 9, at::kLong).view({1, 8});
    const auto layout = wizard::model::AttentionLayout::padded(at::ones_like(ids));
    return model.lm_head(model.forward(ids, layout.position_ids(), layout));
  };
  const at::Tensor with_dp = logits(dir / "dp");
  EXPECT_TRUE(at::allclose(with_dp, logits(dir / "out"), 1e-3, 1e-4));
  // The adapter changes the model.
  EXPECT_FALSE(at::allclose(with_dp, logits(std::nullopt), 1e-5, 1e-6));
}

// Hard-negative mining under data parallel: the ranks share it (each embeds and searches half
// of the answers, policy_score scores half of the examples, rank 0 logging its half), rank 0
// writes the file and rank 1 reads it, and the ranks train as one process with the negatives
// one process mines.
TEST(Launch, TwoRanksMineTheSameNegativesAndTrainAsOneProcess) {
  for (const std::string strategy : {"semantic_search", "policy_score"}) {
    SCOPED_TRACE(strategy);
    const fs::path dir = write_config(
        "launch-mining-" + strategy,
        "num_negatives = 2\nnegative_sampling_strategy = \"hard\"\ncreate_hard_negatives = true\n"
        "mined_negatives_per_example = 3\nhard_negative_strategy = \"" +
            strategy + "\"\n");
    const std::string output = run_single_and_launched(dir);
    EXPECT_CONTAINS(output, "hard negatives: embedding answers (100, this rank's share)");
    EXPECT_CONTAINS(output, "hard negatives: searching (100, this rank's share)");
    EXPECT_CONTAINS(output, ", 2 ranks); exact search");
    if (strategy == "policy_score") {
      EXPECT_CONTAINS(output, "hard negatives: scoring candidates (100, this rank's share)");
    }
    expect_same_losses(dir / "dp", dir / "out");
    const auto one = wizard::test::read_jsonl(dir / "out" / "mined_negatives.jsonl");
    const auto two = wizard::test::read_jsonl(dir / "dp" / "mined_negatives.jsonl");
    ASSERT_EQ(one.size(), 201u);  // the header and 200 examples
    EXPECT_EQ(two, one);
    for (const auto& entry : fs::directory_iterator(dir / "dp")) {
      EXPECT_EQ(entry.path().filename().string().find(".partial"), std::string::npos)
          << entry.path();
    }
    EXPECT_FALSE(
        fs::exists(dir / "dp" / "cache" / ("mining-" + one[0]["fingerprint"].get<std::string>())));
  }
}

TEST(Launch, TorchrunStartsTheSameRun) {
  const fs::path torchrun = wizard::test::source_dir() / ".venv" / "bin" / "torchrun";
  if (!fs::exists(torchrun)) GTEST_SKIP() << "no " << torchrun << " (scripts/setup.sh makes it)";
  const fs::path dir = write_config("torchrun-cpo");
  const RunResult single = wizard::test::run_wizard("run config.toml", dir, "timeout 300");
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const RunResult launched = run_shell(
      "timeout 300 '" + torchrun.string() + "' --no-python --nproc-per-node 2 --master-port " +
          std::to_string(wizard::test::free_port()) + " '" +
          wizard::test::wizard_binary().string() +
          "' run config.toml --set training_args_spec.per_device_train_batch_size=4 --set "
          "training_args_spec.output_dir=dp",
      dir);
  ASSERT_EQ(launched.exit_code, 0) << launched.output;
  expect_same_losses(dir / "dp", dir / "out");
}

TEST(Launch, RankZeroAlonePrecomputesTheReferenceLogProbs) {
  const fs::path dir =
      write_config("launch-reference", "reference_free = false\nprecompute_ref_log_probs = true\n");
  run_single_and_launched(dir);
  EXPECT_TRUE(fs::exists(dir / "dp" / "cache" / "reference_logps_train.safetensors"));
  expect_same_losses(dir / "dp", dir / "out");  // rank 1 read the sums rank 0 wrote

  // Rank 1 without a rank 0 neither computes nor writes the cache: it waits for rank 0's, at
  // most ddp_timeout, and then says so (before any collective: the trainer has not started).
  const RunResult lonely = run_shell(
      "RANK=1 WORLD_SIZE=2 LOCAL_RANK=1 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
          std::to_string(wizard::test::free_port()) + " timeout 120 '" +
          wizard::test::wizard_binary().string() +
          "' run config.toml --set training_args_spec.output_dir=lonely --set "
          "training_args_spec.ddp_timeout=2",
      dir);
  EXPECT_NE(lonely.exit_code, 0) << lonely.output;
  EXPECT_CONTAINS(lonely.output,
                  "waited 2 s (ddp_timeout) for rank 0 to write the reference log-probs of the "
                  "train set");
  EXPECT_FALSE(fs::exists(dir / "lonely" / "cache" / "reference_logps_train.safetensors"));
}

TEST(Launch, AFailingRankIsNamedAndItsStatusReturned) {
  const fs::path dir = wizard::test::temp_dir("launch-fail");
  const RunResult result = wizard::test::run_wizard(
      "launch --nproc-per-node 2 --master-port 0 -- run missing.toml", dir, "timeout 120");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_CONTAINS(result.output, "wizard launch: rank ");
  EXPECT_CONTAINS(result.output, "exited with status 2");
}

TEST(Launch, UsageErrorsAreRefused) {
  const fs::path dir = wizard::test::temp_dir("launch-usage");
  const RunResult no_command = wizard::test::run_wizard("launch --nproc-per-node 2", dir);
  EXPECT_EQ(no_command.exit_code, 2);
  EXPECT_CONTAINS(no_command.output, "name what each rank runs after --");
  const RunResult bad_node = wizard::test::run_wizard(
      "launch --nproc-per-node 2 --nnodes 2 --node-rank 2 -- run c.toml", dir);
  EXPECT_EQ(bad_node.exit_code, 2);
  EXPECT_CONTAINS(bad_node.output, "--node-rank 2 is outside 0 to --nnodes - 1 (1)");
}

TEST(Launch, SigintStopsEveryRankAfterTheSameStepWithOneCheckpoint) {
  const fs::path dir = write_config("launch-sigint", "");
  const pid_t launcher = wizard::test::start_process(
      {wizard::test::wizard_binary().string(), "launch", "--nproc-per-node", "2", "--master-port",
       "0", "--", "run", (dir / "config.toml").string(), "--set",
       "training_args_spec.max_steps=100000", "--set",
       "training_args_spec.output_dir=" + (dir / "out").string()},
      {}, dir / "launch.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  const auto logged_steps = [&]() -> std::size_t {
    try {
      return wizard::test::read_metrics(dir / "out").size();
    } catch (const std::exception&) {
      return 0;  // not written yet, or a line half written
    }
  };
  while (logged_steps() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(launcher, SIGINT);
  const auto code = wizard::test::wait_exit(launcher, 120);
  const std::string log = wizard::test::read_text(dir / "launch.log");
  EXPECT_EQ(code, 130) << log;
  EXPECT_CONTAINS(log, "forwarding SIGINT to the ranks");
  const auto checkpoints = wizard::train::list_checkpoints(dir / "out");
  ASSERT_EQ(checkpoints.size(), 1u) << log;
  EXPECT_FALSE(wizard::train::checkpoint_damage(checkpoints.front()));
  EXPECT_TRUE(fs::exists(checkpoints.front() / wizard::train::kCompleteMarkerFile));
}

}  // namespace
