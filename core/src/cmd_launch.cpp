// `wizard launch`: starts the ranks of a data-parallel run on this machine with the variables
// torchrun sets (docs/distributed.md), hosts their rendezvous store (node 0), forwards SIGINT
// and SIGTERM to them once, and stops them all when one fails, naming it.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/stop_request.hpp"
#include "wizard/distributed/store_host.hpp"

namespace wizard::core {

namespace {

using Clock = std::chrono::steady_clock;

struct LaunchOptions {
  int64_t nproc_per_node = 1;
  int64_t nnodes = 1;
  int64_t node_rank = 0;
  std::string master_addr = "127.0.0.1";
  int64_t master_port = 29500;
  int64_t max_restarts = 0;
  int64_t stop_timeout = 30;         // seconds between SIGTERM and SIGKILL for the survivors
  std::vector<std::string> command;  // wizard's arguments for each rank
};

struct Worker {
  int64_t rank = 0;
  pid_t pid = -1;
  std::optional<int> status;  // waitpid's, once it exited
};

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by " + signal_name(WTERMSIG(status));
  return "stopped";
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

std::string self_executable() {
  std::vector<char> buffer(4096);
  const ssize_t length = ::readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  if (length <= 0) throw Error("wizard launch: cannot find its own executable (/proc/self/exe)");
  return std::string(buffer.data(), static_cast<std::size_t>(length));
}

pid_t spawn(const LaunchOptions& options, int64_t local_rank, int64_t port, int64_t attempt,
            const std::string& executable) {
  const int64_t world = options.nproc_per_node * options.nnodes;
  const int64_t rank = options.node_rank * options.nproc_per_node + local_rank;
  const std::map<std::string, std::string> variables = {
      {"RANK", std::to_string(rank)},
      {"WORLD_SIZE", std::to_string(world)},
      {"LOCAL_RANK", std::to_string(local_rank)},
      {"LOCAL_WORLD_SIZE", std::to_string(options.nproc_per_node)},
      {"GROUP_RANK", std::to_string(options.node_rank)},
      {"MASTER_ADDR", options.master_addr},
      {"MASTER_PORT", std::to_string(port)},
      {"TORCHELASTIC_USE_AGENT_STORE", "True"},
      {"TORCHELASTIC_RESTART_COUNT", std::to_string(attempt)},
      {"TORCHELASTIC_MAX_RESTARTS", std::to_string(options.max_restarts)},
      {"TORCHELASTIC_RUN_ID", "wizard-launch"}};
  std::vector<std::string> arguments = {executable};
  arguments.insert(arguments.end(), options.command.begin(), options.command.end());
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(std::string("wizard launch: fork failed: ") + std::strerror(errno));
  if (pid > 0) return pid;
  // The child: its own process group, so that a terminal's Ctrl-C reaches the launcher alone
  // (which forwards it once); it gets SIGTERM should the launcher die.
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  for (const auto& [name, value] : variables) ::setenv(name.c_str(), value.c_str(), 1);
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  ::execv(executable.c_str(), argv.data());
  std::cerr << "wizard launch: cannot start " << executable << ": " << std::strerror(errno) << "\n";
  ::_exit(127);
}

void signal_all(std::vector<Worker>& workers, int signal) {
  for (auto& worker : workers) {
    if (!worker.status) ::kill(worker.pid, signal);
  }
}

bool reap(std::vector<Worker>& workers, std::optional<std::size_t>& first_failure) {
  bool all_done = true;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    auto& worker = workers[i];
    if (worker.status) continue;
    int status = 0;
    const pid_t done = ::waitpid(worker.pid, &status, WNOHANG);
    if (done == worker.pid) {
      worker.status = status;
      if (exit_code_of(status) != 0 && !first_failure) first_failure = i;
    } else {
      all_done = false;
    }
  }
  return all_done;
}

// One attempt: every local rank runs until all exited. Returns the exit code; `failed` names
// the first rank that failed on its own (not stopped by the launcher).
int run_attempt(const LaunchOptions& options, int64_t port, int64_t attempt,
                const std::string& executable, std::string& failed) {
  std::vector<Worker> workers;
  for (int64_t local = 0; local < options.nproc_per_node; ++local) {
    Worker worker;
    worker.rank = options.node_rank * options.nproc_per_node + local;
    worker.pid = spawn(options, local, port, attempt, executable);
    workers.push_back(worker);
  }
  int forwarded = 0;
  std::optional<std::size_t> first_failure;
  std::optional<Clock::time_point> kill_deadline;
  while (!reap(workers, first_failure)) {
    if (const int signal = stop_requested(); signal && forwarded != signal) {
      logger()->info("wizard launch: forwarding {} to the ranks", signal_name(signal));
      signal_all(workers, signal);
      forwarded = signal;
    }
    if (first_failure && !kill_deadline && !forwarded) {
      const Worker& dead = workers[*first_failure];
      failed = "rank " + std::to_string(dead.rank) + " (pid " + std::to_string(dead.pid) + ") " +
               describe_status(*dead.status);
      logger()->error("wizard launch: {}; stopping the other ranks", failed);
      signal_all(workers, SIGTERM);
      kill_deadline = Clock::now() + std::chrono::seconds(options.stop_timeout);
    }
    if (kill_deadline && Clock::now() > *kill_deadline) {
      logger()->error("wizard launch: ranks still running {} s after SIGTERM: killing them",
                      options.stop_timeout);
      signal_all(workers, SIGKILL);
      kill_deadline = Clock::now() + std::chrono::hours(24);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (first_failure) {
    const Worker& dead = workers[*first_failure];
    if (failed.empty()) {
      failed = "rank " + std::to_string(dead.rank) + " (pid " + std::to_string(dead.pid) + ") " +
               describe_status(*dead.status);
    }
    return exit_code_of(*dead.status);
  }
  return 0;
}

void check_options(const LaunchOptions& options) {
  if (options.nproc_per_node < 1) throw UsageError("--nproc-per-node must be at least 1");
  if (options.nnodes < 1) throw UsageError("--nnodes must be at least 1");
  if (options.node_rank < 0 || options.node_rank >= options.nnodes) {
    throw UsageError("--node-rank " + std::to_string(options.node_rank) +
                     " is outside 0 to --nnodes - 1 (" + std::to_string(options.nnodes - 1) + ")");
  }
  if (options.master_port < 0 || options.master_port > 65535)
    throw UsageError("--master-port must be a TCP port (0: a free one, single machine only)");
  if (options.master_port == 0 && options.nnodes > 1)
    throw UsageError(
        "--master-port 0 picks a free port on this machine; several machines need "
        "one port they all know");
  if (options.max_restarts < 0) throw UsageError("--max-restarts must be 0 or more");
  if (options.max_restarts > 0 && options.nnodes > 1) {
    throw UsageError(
        "--max-restarts with several machines needs a launcher that restarts all of "
        "them together: use torchrun (docs/distributed.md)");
  }
  if (options.command.empty())
    throw UsageError(
        "name what each rank runs after --, e.g. `wizard launch "
        "--nproc-per-node 2 -- run config.toml`");
  if (options.command.front() == "launch") throw UsageError("ranks cannot run `wizard launch`");
}

}  // namespace

Command launch_command() {
  Command command;
  command.name = "launch";
  command.synopsis =
      "launch --nproc-per-node N [--nnodes M --node-rank R --master-addr A --master-port P] -- "
      "COMMAND...";
  command.summary = "run N ranks of a data-parallel command on this machine (torchrun's way)";
  command.details =
      "Starts N copies of `wizard COMMAND...` with torchrun's variables (RANK, WORLD_SIZE,\n"
      "LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, TORCHELASTIC_*); on node 0 it\n"
      "hosts their rendezvous store. SIGINT/SIGTERM are forwarded once (every rank stops after\n"
      "the same step with one checkpoint). When a rank fails the others get SIGTERM, then\n"
      "SIGKILL after --stop-timeout seconds, and the launcher exits with the failed rank's "
      "status,\n"
      "naming it; with --max-restarts K it starts them all again, up to K times (use\n"
      "resume_from_checkpoint = \"auto\"). See docs/distributed.md.\n";
  command.declare = [](po::options_description& options, po::positional_options_description& p) {
    options.add_options()("nproc-per-node", po::value<int64_t>()->default_value(1),
                          "ranks on this machine")("nnodes", po::value<int64_t>()->default_value(1),
                                                   "machines")(
        "node-rank", po::value<int64_t>()->default_value(0), "this machine's index")(
        "master-addr", po::value<std::string>()->default_value("127.0.0.1"),
        "host of node 0 (its launcher hosts the store)")(
        "master-port", po::value<int64_t>()->default_value(29500),
        "store port on node 0 (0: a free port, one machine only)")(
        "max-restarts", po::value<int64_t>()->default_value(0),
        "start the ranks again after a failure, up to this many times")(
        "stop-timeout", po::value<int64_t>()->default_value(30),
        "seconds the other ranks get to stop after one failed, before SIGKILL")(
        "command", po::value<std::vector<std::string>>()->multitoken(), "what each rank runs");
    p.add("command", -1);
    declare_log_option(options);
  };
  command.execute = [](const po::variables_map& vm) {
    LaunchOptions options;
    options.nproc_per_node = vm["nproc-per-node"].as<int64_t>();
    options.nnodes = vm["nnodes"].as<int64_t>();
    options.node_rank = vm["node-rank"].as<int64_t>();
    options.master_addr = vm["master-addr"].as<std::string>();
    options.master_port = vm["master-port"].as<int64_t>();
    options.max_restarts = vm["max-restarts"].as<int64_t>();
    options.stop_timeout = vm["stop-timeout"].as<int64_t>();
    if (vm.count("command")) options.command = vm["command"].as<std::vector<std::string>>();
    check_options(options);
    const std::string executable = self_executable();
    std::unique_ptr<distributed::StoreHost> store;
    int64_t port = options.master_port;
    if (options.node_rank == 0) {
      store = distributed::StoreHost::start(port, std::chrono::minutes(30));
      port = store->port();
    }
    const StopOnSignals stop_on_signals;  // the launcher forwards what it receives
    for (int64_t attempt = 0;; ++attempt) {
      std::string failed;
      logger()->info("wizard launch: {} rank(s) on this machine of {} in all, store {}:{}{}",
                     options.nproc_per_node, options.nproc_per_node * options.nnodes,
                     options.master_addr, port,
                     attempt > 0 ? " (restart " + std::to_string(attempt) + ")" : "");
      const int code = run_attempt(options, port, attempt, executable, failed);
      if (code == 0) return 0;
      if (stop_requested()) return code;  // stopped on request: the ranks said how
      if (attempt < options.max_restarts) {
        logger()->warn("wizard launch: {}; restarting all ranks ({} of {} restarts)", failed,
                       attempt + 1, options.max_restarts);
        continue;
      }
      logger()->error(
          "wizard launch: {}{}; the other ranks were stopped (see that rank's "
          "messages above)",
          failed,
          options.max_restarts > 0
              ? " (after " + std::to_string(options.max_restarts) + " restarts)"
              : std::string());
      return code;
    }
  };
  return command;
}

}  // namespace wizard::core
