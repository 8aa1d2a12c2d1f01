// Starting the ranks of a data-parallel run as separate processes on loopback, the way a
// launcher does, and waiting for them within a time limit.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wizard::test {

// A TCP port nobody listens on right now (for MASTER_PORT).
int free_port();

// Starts `argv` with the environment of this process (its launch variables removed) plus
// `variables`; stdout and stderr go to `log`.
pid_t start_process(const std::vector<std::string>& argv,
                    const std::map<std::string, std::string>& variables,
                    const std::filesystem::path& log);

// torchrun's variables for rank `rank` of `world` on this machine.
std::map<std::string, std::string> rank_variables(int rank, int world, int port);

// Waits for `pid` at most `seconds`; its exit code (128 + signal when killed), or nullopt
// when it still runs (then it is killed).
std::optional<int> wait_exit(pid_t pid, double seconds);

}  // namespace wizard::test
