// The launch variables of torchrun, `wizard launch` and SLURM, and SLURM's host lists.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "wizard/base/error.hpp"
#include "wizard/distributed/environment.hpp"

namespace {

using wizard::distributed::expand_slurm_nodelist;
using wizard::distributed::LaunchEnvironment;
using wizard::distributed::Launcher;
using Variables = std::map<std::string, std::string>;

LaunchEnvironment read(const Variables& variables) {
  return LaunchEnvironment::from_variables([&](const std::string& name) {
    const auto it = variables.find(name);
    return it == variables.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
}

std::string error_of(const Variables& variables) {
  try {
    read(variables);
  } catch (const wizard::ConfigError& error) {
    return error.what();
  }
  return "";
}

const Variables kTorchrun = {{"RANK", "3"},
                             {"WORLD_SIZE", "4"},
                             {"LOCAL_RANK", "1"},
                             {"LOCAL_WORLD_SIZE", "2"},
                             {"MASTER_ADDR", "n1"},
                             {"MASTER_PORT", "29400"},
                             {"TORCHELASTIC_RESTART_COUNT", "2"},
                             {"TORCHELASTIC_MAX_RESTARTS", "3"},
                             {"TORCHELASTIC_USE_AGENT_STORE", "True"}};

TEST(LaunchEnvironment, NoVariablesIsOneProcess) {
  const LaunchEnvironment environment = read({});
  EXPECT_EQ(environment.launcher, Launcher::none);
  EXPECT_FALSE(environment.distributed());
  EXPECT_TRUE(environment.is_main());
  EXPECT_EQ(environment.world_size, 1);
  EXPECT_EQ(environment.local_world_size, 1);
}

TEST(LaunchEnvironment, TorchrunVariables) {
  const LaunchEnvironment environment = read(kTorchrun);
  EXPECT_EQ(environment.launcher, Launcher::torchrun);
  EXPECT_TRUE(environment.distributed());
  EXPECT_FALSE(environment.is_main());
  EXPECT_EQ(environment.rank, 3);
  EXPECT_EQ(environment.world_size, 4);
  EXPECT_EQ(environment.local_rank, 1);
  EXPECT_EQ(environment.local_world_size, 2);
  EXPECT_EQ(environment.master_addr, "n1");
  EXPECT_EQ(environment.master_port, 29400);
  EXPECT_EQ(environment.restart_count, 2);
  EXPECT_EQ(environment.max_restarts, 3);
  EXPECT_TRUE(environment.agent_store);
  EXPECT_EQ(environment.describe(), "rank 3 of 4 (local 1 of 2)");
}

TEST(LaunchEnvironment, TorchrunWithOneProcessIsASingleProcessRun) {
  Variables one = kTorchrun;
  one["RANK"] = one["LOCAL_RANK"] = "0";
  one["WORLD_SIZE"] = one["LOCAL_WORLD_SIZE"] = "1";
  EXPECT_FALSE(read(one).distributed());
}

TEST(LaunchEnvironment, InconsistentVariablesAreRefusedByName) {
  Variables partial = {{"RANK", "0"}, {"WORLD_SIZE", "2"}};
  const std::string missing = error_of(partial);
  EXPECT_NE(missing.find("sets RANK, WORLD_SIZE but not LOCAL_RANK, MASTER_ADDR, MASTER_PORT"),
            std::string::npos)
      << missing;
  // torchrun's variables with one changed, and what the error says.
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"RANK", "4", "RANK=4 is outside the world of WORLD_SIZE=4"},
      {"LOCAL_RANK", "2", "LOCAL_RANK=2 is outside the world of LOCAL_WORLD_SIZE=2"},
      {"WORLD_SIZE", "four", "WORLD_SIZE='four' is not a non-negative integer"},
      {"MASTER_PORT", "70000", "MASTER_PORT=70000 is not a TCP port"},
      {"LOCAL_WORLD_SIZE", "8", "LOCAL_WORLD_SIZE=8 exceeds the world size 4"}};
  for (const auto& [name, value, message] : cases) {
    Variables changed = kTorchrun;
    changed[name] = value;
    const std::string error = error_of(changed);
    EXPECT_NE(error.find(message), std::string::npos) << name << "=" << value << ": " << error;
  }
}

TEST(LaunchEnvironment, SlurmVariables) {
  const LaunchEnvironment environment = read({{"SLURM_PROCID", "5"},
                                              {"SLURM_NTASKS", "8"},
                                              {"SLURM_LOCALID", "1"},
                                              {"SLURM_TASKS_PER_NODE", "4(x2)"},
                                              {"SLURM_NODELIST", "gpu[07-08]"}});
  EXPECT_EQ(environment.launcher, Launcher::slurm);
  EXPECT_EQ(environment.rank, 5);
  EXPECT_EQ(environment.world_size, 8);
  EXPECT_EQ(environment.local_rank, 1);
  EXPECT_EQ(environment.local_world_size, 4);
  EXPECT_EQ(environment.master_addr, "gpu07");  // the first host
  EXPECT_EQ(environment.master_port, 29500);
  EXPECT_FALSE(environment.agent_store);
}

TEST(LaunchEnvironment, SlurmWithMasterSetAndTorchrunInsideSrun) {
  const Variables slurm = {{"SLURM_PROCID", "1"},     {"SLURM_NTASKS", "2"},
                           {"SLURM_LOCALID", "0"},    {"SLURM_NTASKS_PER_NODE", "1"},
                           {"SLURM_NODELIST", "a,b"}, {"MASTER_ADDR", "head"},
                           {"MASTER_PORT", "1234"}};
  const LaunchEnvironment environment = read(slurm);
  EXPECT_EQ(environment.master_addr, "head");
  EXPECT_EQ(environment.master_port, 1234);
  Variables both = slurm;
  both.insert(kTorchrun.begin(), kTorchrun.end());
  both["MASTER_ADDR"] = "n1";
  EXPECT_EQ(read(both).launcher, Launcher::torchrun);  // torchrun started inside an srun step
  EXPECT_EQ(read(both).rank, 3);
}

TEST(LaunchEnvironment, ASlurmBatchJobOfOneTaskIsOneProcess) {
  const LaunchEnvironment environment = read({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}});
  EXPECT_EQ(environment.launcher, Launcher::none);
  EXPECT_FALSE(environment.distributed());
}

TEST(LaunchEnvironment, SlurmWithoutItsLocalIdOrHostsIsRefused) {
  EXPECT_NE(error_of({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}}).find("not SLURM_LOCALID"),
            std::string::npos);
  EXPECT_NE(error_of({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_LOCALID", "0"}})
                .find("neither MASTER_ADDR nor SLURM_NODELIST"),
            std::string::npos);
}

TEST(SlurmNodelist, Expands) {
  using List = std::vector<std::string>;
  EXPECT_EQ(expand_slurm_nodelist("node1"), List({"node1"}));
  EXPECT_EQ(expand_slurm_nodelist("gpu[01-03,7],login"),
            List({"gpu01", "gpu02", "gpu03", "gpu7", "login"}));
  EXPECT_EQ(expand_slurm_nodelist("r[1-2]n[08-09]"), List({"r1n08", "r1n09", "r2n08", "r2n09"}));
  EXPECT_EQ(expand_slurm_nodelist("a[9-11]-ib"), List({"a9-ib", "a10-ib", "a11-ib"}));
}

TEST(SlurmNodelist, MalformedListsAreRefused) {
  for (const char* bad : {"gpu[01-03", "gpu]1", "gpu[3-1]", "gpu[a-b]", "a,,b", "x[[1]]"}) {
    EXPECT_THROW(expand_slurm_nodelist(bad), wizard::ConfigError) << bad;
  }
}

}  // namespace
