// Data-parallel training against one process, on loopback Gloo: the trainer tests' regression
// task (dp_train_helper) run by 1, 2 and 3 ranks with the same global batch gives the same
// per-step losses, gradient norms (clipping on the global norm) and final weights, within
// float32 rounding: a rank averages its share, the all-reduce averages the ranks, so the sums
// are taken in another order (relative 1e-5 on losses and norms, 1e-5 absolute on weights
// of size ~1). Also: gradient accumulation; a short last batch that leaves a rank nothing; a
// rank that dies; SIGTERM stopping every rank with one complete checkpoint, resumed exactly;
// two "machines" of two ranks each, made of network namespaces joined by a veth pair (as root).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <thread>

#include "dp_runs.hpp"
#include "rank_processes.hpp"
#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/checkpoint.hpp"

namespace {

namespace fs = std::filesystem;
using wizard::test::expect_close;
using wizard::test::expect_same_weights;
using wizard::test::helper_argv;
using wizard::test::rank_log;
using wizard::test::run_ranks;
using wizard::test::series;

// The same run by one process and by `world` ranks: losses, norms, weights alike.
void expect_like_one_process(int world, const std::vector<std::string>& options,
                             const std::string& name, double tolerance = 1e-5) {
  const fs::path single = wizard::test::temp_dir(name + "-single") / "out";
  const fs::path parallel = wizard::test::temp_dir(name + "-dp") / "out";
  ASSERT_EQ(run_ranks(0, single, options), std::vector<int>({0})) << rank_log(single, 0);
  ASSERT_EQ(run_ranks(world, parallel, options), std::vector<int>(world, 0))
      << rank_log(parallel, 0) << rank_log(parallel, 1);
  expect_close(series(parallel, "loss"), series(single, "loss"), "loss", tolerance);
  expect_close(series(parallel, "grad_norm"), series(single, "grad_norm"), "grad_norm", tolerance);
  expect_close(series(parallel, "rewards/chosen"), series(single, "rewards/chosen"),
               "rewards/chosen", tolerance);
  expect_same_weights(parallel, single, tolerance);
  // The hooks sent the (single) bucket while backward ran.
  EXPECT_NE(rank_log(parallel, 0).find("1 of 1 gradient bucket(s) were sent during the backward"),
            std::string::npos)
      << rank_log(parallel, 0);
  // Rank 0 alone prints the log events.
  EXPECT_EQ(rank_log(parallel, 1).find("loss"), std::string::npos) << rank_log(parallel, 1);
}

TEST(DataParallel, TwoRanksTrainAsOneProcessWithTheSameGlobalBatch) {
  // 24 examples, global batch 6 (3 per rank), 2 epochs: 8 steps.
  expect_like_one_process(2, {"--batch", "6"}, "dp2");
}

TEST(DataParallel, ThreeRanksAndALastBatchThatLeavesARankNothing) {
  // 20 examples in batches of 6: the last has 2, so rank 2 computes nothing there and the
  // others' shares are weighted by their examples.
  expect_like_one_process(3, {"--examples", "20", "--batch", "6"}, "dp3");
}

TEST(DataParallel, GradientAccumulationCommunicatesOncePerStep) {
  // 24 examples, batches of 4, 2 micro-batches per step: 3 steps per epoch, the last window
  // of each epoch complete.
  expect_like_one_process(2, {"--batch", "4", "--accumulation", "2"}, "dp-accumulate");
}

TEST(DataParallel, BFloat16ParametersAverageTheirFloat32Sums) {
  // The float32 masters differ in their last bits, which can round a weight to the
  // neighbouring bfloat16 (2^-8 relative): 4e-3.
  expect_like_one_process(2, {"--batch", "4", "--accumulation", "2", "--bf16"}, "dp-bf16", 4e-3);
}

TEST(DataParallel, ADeadRankStopsTheOthersWithinTheTimeout) {
  const fs::path dir = wizard::test::temp_dir("dp-dead") / "out";
  const auto started = std::chrono::steady_clock::now();
  const auto codes = run_ranks(
      2, dir, {"--batch", "2", "--step-ms", "30", "--die-after", "4", "--timeout", "20"}, 60);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(codes[1], 137);  // rank 1 is killed at its 4th micro-batch
  EXPECT_EQ(codes[0], 1) << rank_log(dir, 0);
  EXPECT_LT(seconds, 30);
  const std::string log = rank_log(dir, 0);
  EXPECT_NE(log.find("rank 0 of 2 (local 0 of 2): a "), std::string::npos) << log;
  EXPECT_NE(log.find("with the other ranks failed"), std::string::npos) << log;
}

TEST(DataParallel, SigtermStopsEveryRankWithOneCompleteCheckpointAndResumesExactly) {
  const std::vector<std::string> options = {"--batch", "2", "--epochs", "1"};
  const fs::path reference = wizard::test::temp_dir("dp-reference") / "out";
  ASSERT_EQ(run_ranks(2, reference, options), std::vector<int>({0, 0}));

  const fs::path dir = wizard::test::temp_dir("dp-sigterm") / "out";
  std::vector<std::string> slow = options;
  slow.insert(slow.end(), {"--step-ms", "100"});
  const int port = wizard::test::free_port();
  std::vector<pid_t> pids;
  for (int rank = 0; rank < 2; ++rank) {
    pids.push_back(wizard::test::start_process(
        helper_argv(dir, slow), wizard::test::rank_variables(rank, 2, port),
        dir.string() + ".rank" + std::to_string(rank) + ".log"));
  }
  // After step 3 is logged, SIGTERM reaches both ranks (as SLURM sends it) at different times.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const auto logged_steps = [&]() -> std::size_t {
    try {
      return series(dir, "loss").size();
    } catch (const std::exception&) {
      return 0;  // a line half written
    }
  };
  while (logged_steps() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pids[1], SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ::kill(pids[0], SIGTERM);
  EXPECT_EQ(wizard::test::wait_exit(pids[0], 60), 143) << rank_log(dir, 0);
  EXPECT_EQ(wizard::test::wait_exit(pids[1], 60), 143) << rank_log(dir, 1);
  const auto checkpoints = wizard::train::list_checkpoints(dir);
  ASSERT_EQ(checkpoints.size(), 1u);
  const fs::path checkpoint = checkpoints.front();
  EXPECT_FALSE(wizard::train::checkpoint_damage(checkpoint));
  EXPECT_TRUE(fs::exists(checkpoint / wizard::train::kCompleteMarkerFile));
  EXPECT_TRUE(fs::exists(checkpoint / "rng_state_1.safetensors"));

  // Without its marker, written last, the checkpoint does not count.
  const fs::path copy = dir.parent_path() / "copy" / "checkpoint-99";
  fs::create_directories(copy.parent_path());
  fs::copy(checkpoint, copy);
  fs::remove(copy / wizard::train::kCompleteMarkerFile);
  const auto damage = wizard::train::checkpoint_damage(copy);
  ASSERT_TRUE(damage);
  EXPECT_NE(damage->find("lacks checkpoint_complete.json"), std::string::npos) << *damage;

  ASSERT_EQ(run_ranks(2, dir, {"--batch", "2", "--epochs", "1", "--resume"}),
            std::vector<int>({0, 0}))
      << rank_log(dir, 0) << rank_log(dir, 1);
  EXPECT_EQ(series(dir, "loss"), series(reference, "loss"));
  expect_same_weights(dir, reference, 0.0);
}

TEST(DataParallel, ResumingWithAnotherNumberOfRanksSaysWhatChanged) {
  const fs::path dir = wizard::test::temp_dir("dp-regrow") / "out";
  ASSERT_EQ(run_ranks(2, dir, {"--batch", "6", "--epochs", "1", "--save-steps", "2"}),
            std::vector<int>({0, 0}));
  ASSERT_EQ(run_ranks(3, dir, {"--batch", "6", "--epochs", "2", "--resume"}),
            std::vector<int>({0, 0, 0}))
      << rank_log(dir, 0);
  EXPECT_NE(rank_log(dir, 0).find("the checkpoint was written by 2 rank(s), this run has 3"),
            std::string::npos)
      << rank_log(dir, 0);
  EXPECT_NE(rank_log(dir, 2).find("holds no RNG state of rank 2"), std::string::npos)
      << rank_log(dir, 2);
  EXPECT_EQ(series(dir, "loss").size(), 8u);  // 4 steps of the first run, 4 after the resume
}

// Two network namespaces joined by a veth pair, removed again at the end.
class TwoMachines {
 public:
  TwoMachines() {
    const std::string id = std::to_string(::getpid() % 100000);
    names_ = {"wzdp" + id + "a", "wzdp" + id + "b"};
    links_ = {"wzd" + id + "a", "wzd" + id + "b"};
    const std::vector<std::string> steps = {
        "ip netns add " + names_[0],
        "ip netns add " + names_[1],
        "ip link add " + links_[0] + " type veth peer name " + links_[1],
        "ip link set " + links_[0] + " netns " + names_[0],
        "ip link set " + links_[1] + " netns " + names_[1],
        "ip -n " + names_[0] + " addr add 10.213.0.1/24 dev " + links_[0],
        "ip -n " + names_[1] + " addr add 10.213.0.2/24 dev " + links_[1],
        "ip -n " + names_[0] + " link set " + links_[0] + " up",
        "ip -n " + names_[1] + " link set " + links_[1] + " up",
        "ip -n " + names_[0] + " link set lo up",
        "ip -n " + names_[1] + " link set lo up"};
    for (const auto& step : steps) {
      if (std::system((step + " 2>/dev/null").c_str()) != 0) {
        failed_ = step;
        return;
      }
    }
  }
  ~TwoMachines() {
    for (const auto& name : names_) std::system(("ip netns del " + name + " 2>/dev/null").c_str());
  }
  const std::string& failed() const { return failed_; }
  const std::string& name(int machine) const { return names_[machine]; }
  const std::string& link(int machine) const { return links_[machine]; }

 private:
  std::vector<std::string> names_, links_;
  std::string failed_;
};

std::string ip_command() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (fs::exists(path)) return path;
  }
  return "";
}

TEST(DataParallel, TwoMachinesOfTwoRanksEachOverAVethPair) {
  if (::geteuid() != 0) GTEST_SKIP() << "skipped: network namespaces (ip netns) need root";
  if (ip_command().empty()) GTEST_SKIP() << "skipped: no `ip` command (Debian: iproute2)";
  const TwoMachines machines;
  if (!machines.failed().empty()) {
    GTEST_SKIP() << "skipped: cannot make network namespaces here (`" << machines.failed()
                 << "` failed; a container without CAP_NET_ADMIN?)";
  }
  const std::vector<std::string> options = {"--batch", "8"};  // 2 examples per rank
  const fs::path single = wizard::test::temp_dir("netns-single") / "out";
  ASSERT_EQ(run_ranks(0, single, options), std::vector<int>({0}));
  const fs::path dir = wizard::test::temp_dir("netns-dp") / "out";
  std::vector<pid_t> pids;
  for (int rank = 0; rank < 4; ++rank) {
    const int machine = rank / 2;
    auto variables = wizard::test::rank_variables(rank, 4, 29517);
    variables["LOCAL_RANK"] = std::to_string(rank % 2);
    variables["LOCAL_WORLD_SIZE"] = "2";
    variables["MASTER_ADDR"] = "10.213.0.1";
    variables["GLOO_SOCKET_IFNAME"] = machines.link(machine);
    std::vector<std::string> argv = {ip_command(), "netns", "exec", machines.name(machine)};
    for (const auto& word : helper_argv(dir, options)) argv.push_back(word);
    argv.insert(argv.end(), {"--timeout", "30"});
    pids.push_back(wizard::test::start_process(
        argv, variables, dir.string() + ".rank" + std::to_string(rank) + ".log"));
  }
  for (int rank = 0; rank < 4; ++rank) {
    EXPECT_EQ(wizard::test::wait_exit(pids[static_cast<std::size_t>(rank)], 120), 0)
        << rank_log(dir, rank);
  }
  expect_close(series(dir, "loss"), series(single, "loss"), "loss");
  expect_same_weights(dir, single, 1e-5);
}

}  // namespace
