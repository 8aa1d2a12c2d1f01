// Where this process stands in a data-parallel run, read from the variables its launcher set:
//
//   torchrun / `wizard launch`  RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
//                               MASTER_PORT; TORCHELASTIC_RESTART_COUNT, _MAX_RESTARTS,
//                               _RUN_ID and _USE_AGENT_STORE (the launcher hosts the store)
//   SLURM (srun)                SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID,
//                               SLURM_NTASKS_PER_NODE (or SLURM_TASKS_PER_NODE), the first
//                               host of SLURM_NODELIST as the master (MASTER_ADDR and
//                               MASTER_PORT, when set, win; the port defaults to 29500)
//
// torchrun's variables win over SLURM's (torchrun inside an srun step). With neither, or a
// world of one process, the run is a single process, exactly as without a launcher.
// Inconsistent values (a rank outside the world, a missing partner variable) are a
// ConfigError naming the variable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard::distributed {

enum class Launcher { none, torchrun, slurm };

struct WIZARD_API LaunchEnvironment {
  Launcher launcher = Launcher::none;
  int64_t rank = 0;
  int64_t world_size = 1;
  int64_t local_rank = 0;
  int64_t local_world_size = 1;
  std::string master_addr;
  int64_t master_port = 0;
  int64_t restart_count = 0;  // TORCHELASTIC_RESTART_COUNT: restarts of this worker group
  int64_t max_restarts = 0;   // TORCHELASTIC_MAX_RESTARTS
  std::string run_id;         // TORCHELASTIC_RUN_ID
  bool agent_store = false;   // the launcher hosts the TCPStore; rank 0 connects as a client

  // More than one process: a process group is needed.
  bool distributed() const { return world_size > 1; }
  bool is_main() const { return rank == 0; }
  // "rank 1 of 4 (local 1 of 2)", for messages.
  std::string describe() const;

  using Lookup = std::function<std::optional<std::string>(const std::string&)>;
  // Reads the variables through `lookup` (tests pass a map).
  static LaunchEnvironment from_variables(const Lookup& lookup);
  // This process's environment, read once.
  static const LaunchEnvironment& current();
};

// SLURM's compact host list, expanded: "gpu[01-03,7],login" -> gpu01 gpu02 gpu03 gpu7 login
// (zero padding kept, several bracket groups multiplied out). ConfigError on a malformed list.
WIZARD_API std::vector<std::string> expand_slurm_nodelist(const std::string& nodelist);

}  // namespace wizard::distributed
