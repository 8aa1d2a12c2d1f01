#include "wizard/distributed/environment.hpp"

#include <cstdlib>

#include "wizard/base/error.hpp"

namespace wizard::distributed {

namespace {

const char* const kTorchrunVariables[] = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR",
                                          "MASTER_PORT"};

int64_t parse_count(const std::string& name, const std::string& text) {
  std::size_t used = 0;
  long long value = -1;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || value < 0) {
    throw ConfigError("environment variable " + name + "='" + text +
                      "' is not a non-negative integer; the launcher (torchrun, srun, `wizard "
                      "launch`) sets it, so unset it or launch through one of them");
  }
  return value;
}

// SLURM_TASKS_PER_NODE's first count: "2(x3),1" -> 2.
int64_t first_count(const std::string& name, const std::string& text) {
  const std::size_t end = text.find_first_not_of("0123456789");
  return parse_count(name, text.substr(0, end == std::string::npos ? text.size() : end));
}

void check_rank(const char* rank_name, int64_t rank, const char* size_name, int64_t size) {
  if (size < 1) {
    throw ConfigError(std::string("environment variable ") + size_name +
                      " is 0; a run needs at least one process");
  }
  if (rank >= size) {
    throw ConfigError(std::string("environment variable ") + rank_name + "=" +
                      std::to_string(rank) + " is outside the world of " + size_name + "=" +
                      std::to_string(size) + " processes (ranks 0 to " + std::to_string(size - 1) +
                      "); the launch variables disagree");
  }
}

void read_torchrun(const LaunchEnvironment::Lookup& lookup, LaunchEnvironment& out) {
  std::vector<std::string> missing;
  for (const char* name : kTorchrunVariables) {
    if (!lookup(name)) missing.push_back(name);
  }
  if (!missing.empty()) {
    std::string present, absent;
    for (const char* name : kTorchrunVariables) {
      std::string& list = lookup(name) ? present : absent;
      list += (list.empty() ? "" : ", ") + std::string(name);
    }
    throw ConfigError("the environment sets " + present + " but not " + absent +
                      ": a data-parallel launch (torchrun, `wizard launch`) sets all of them; "
                      "unset the others for a single process");
  }
  out.launcher = Launcher::torchrun;
  out.rank = parse_count("RANK", *lookup("RANK"));
  out.world_size = parse_count("WORLD_SIZE", *lookup("WORLD_SIZE"));
  out.local_rank = parse_count("LOCAL_RANK", *lookup("LOCAL_RANK"));
  out.local_world_size = lookup("LOCAL_WORLD_SIZE")
                             ? parse_count("LOCAL_WORLD_SIZE", *lookup("LOCAL_WORLD_SIZE"))
                             : out.world_size;
  out.master_addr = *lookup("MASTER_ADDR");
  out.master_port = parse_count("MASTER_PORT", *lookup("MASTER_PORT"));
  if (auto value = lookup("TORCHELASTIC_RESTART_COUNT"))
    out.restart_count = parse_count("TORCHELASTIC_RESTART_COUNT", *value);
  if (auto value = lookup("TORCHELASTIC_MAX_RESTARTS"))
    out.max_restarts = parse_count("TORCHELASTIC_MAX_RESTARTS", *value);
  if (auto value = lookup("TORCHELASTIC_RUN_ID")) out.run_id = *value;
  if (auto value = lookup("TORCHELASTIC_USE_AGENT_STORE"))
    out.agent_store = *value == "True" || *value == "true" || *value == "1";
}

void read_slurm(const LaunchEnvironment::Lookup& lookup, LaunchEnvironment& out) {
  out.launcher = Launcher::slurm;
  out.rank = parse_count("SLURM_PROCID", *lookup("SLURM_PROCID"));
  out.world_size = parse_count("SLURM_NTASKS", *lookup("SLURM_NTASKS"));
  if (out.world_size <= 1) return;
  const auto local = lookup("SLURM_LOCALID");
  if (!local) {
    throw ConfigError(
        "the environment sets SLURM_PROCID and SLURM_NTASKS but not SLURM_LOCALID; start each "
        "task with srun, which sets all three");
  }
  out.local_rank = parse_count("SLURM_LOCALID", *local);
  if (auto per_node = lookup("SLURM_NTASKS_PER_NODE")) {
    out.local_world_size = first_count("SLURM_NTASKS_PER_NODE", *per_node);
  } else if (auto tasks = lookup("SLURM_TASKS_PER_NODE")) {
    out.local_world_size = first_count("SLURM_TASKS_PER_NODE", *tasks);
  } else {
    out.local_world_size = out.local_rank + 1;
  }
  if (auto addr = lookup("MASTER_ADDR")) {
    out.master_addr = *addr;
  } else {
    const auto nodes =
        lookup("SLURM_STEP_NODELIST") ? lookup("SLURM_STEP_NODELIST") : lookup("SLURM_NODELIST");
    if (!nodes) {
      throw ConfigError(
          "SLURM runs " + std::to_string(out.world_size) +
          " tasks but neither MASTER_ADDR nor SLURM_NODELIST is set; set MASTER_ADDR to the "
          "host of task 0");
    }
    out.master_addr = expand_slurm_nodelist(*nodes).front();
  }
  out.master_port =
      lookup("MASTER_PORT") ? parse_count("MASTER_PORT", *lookup("MASTER_PORT")) : 29500;
  if (auto restarts = lookup("SLURM_RESTART_COUNT"))
    out.restart_count = parse_count("SLURM_RESTART_COUNT", *restarts);
}

// "01-03" or "7" -> the names with the prefix.
void expand_range(const std::string& prefix, const std::string& range,
                  std::vector<std::string>& out, const std::string& whole) {
  const auto bad = [&] {
    throw ConfigError("SLURM_NODELIST '" + whole + "': '" + range +
                      "' is not a number or a range a-b inside brackets");
  };
  const std::size_t dash = range.find('-');
  const std::string first = range.substr(0, dash);
  const std::string last = dash == std::string::npos ? first : range.substr(dash + 1);
  if (first.empty() || last.empty() || first.find_first_not_of("0123456789") != std::string::npos ||
      last.find_first_not_of("0123456789") != std::string::npos)
    bad();
  const long long low = std::stoll(first), high = std::stoll(last);
  if (high < low || high - low > 100000) bad();
  for (long long n = low; n <= high; ++n) {
    std::string digits = std::to_string(n);
    if (digits.size() < first.size()) digits.insert(0, first.size() - digits.size(), '0');
    out.push_back(prefix + digits);
  }
}

// One host expression without top-level commas: "gpu[01-02]-ib[1,3]".
void expand_host(const std::string& host, std::vector<std::string>& out, const std::string& whole) {
  const std::size_t open = host.find('[');
  if (open == std::string::npos) {
    if (host.find(']') != std::string::npos)
      throw ConfigError("SLURM_NODELIST '" + whole + "': a ']' without its '['");
    out.push_back(host);
    return;
  }
  const std::size_t close = host.find(']', open);
  if (close == std::string::npos)
    throw ConfigError("SLURM_NODELIST '" + whole + "': a '[' without its ']'");
  const std::string prefix = host.substr(0, open);
  const std::string inside = host.substr(open + 1, close - open - 1);
  const std::string rest = host.substr(close + 1);
  std::vector<std::string> heads;
  std::size_t start = 0;
  while (start <= inside.size()) {
    const std::size_t comma = inside.find(',', start);
    const std::size_t end = comma == std::string::npos ? inside.size() : comma;
    expand_range(prefix, inside.substr(start, end - start), heads, whole);
    start = end + 1;
  }
  for (const auto& head : heads) {
    std::vector<std::string> tails;
    expand_host(rest, tails, whole);
    for (const auto& tail : tails) out.push_back(head + tail);
  }
}

}  // namespace

std::vector<std::string> expand_slurm_nodelist(const std::string& nodelist) {
  std::vector<std::string> hosts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= nodelist.size(); ++i) {
    const char c = i < nodelist.size() ? nodelist[i] : ',';
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth < 0 || depth > 1)
      throw ConfigError("SLURM_NODELIST '" + nodelist + "': unbalanced or nested brackets");
    if (c == ',' && depth == 0) {
      const std::string host = nodelist.substr(start, i - start);
      if (host.empty()) throw ConfigError("SLURM_NODELIST '" + nodelist + "': an empty host name");
      expand_host(host, hosts, nodelist);
      start = i + 1;
    }
  }
  if (depth != 0) throw ConfigError("SLURM_NODELIST '" + nodelist + "': a '[' without its ']'");
  return hosts;
}

std::string LaunchEnvironment::describe() const {
  return "rank " + std::to_string(rank) + " of " + std::to_string(world_size) + " (local " +
         std::to_string(local_rank) + " of " + std::to_string(local_world_size) + ")";
}

LaunchEnvironment LaunchEnvironment::from_variables(const Lookup& lookup) {
  LaunchEnvironment out;
  // MASTER_ADDR/MASTER_PORT alone do not make a torchrun launch (SLURM scripts set them).
  const bool any_torchrun = lookup("RANK") || lookup("WORLD_SIZE") || lookup("LOCAL_RANK");
  if (any_torchrun) {
    read_torchrun(lookup, out);
  } else if (lookup("SLURM_PROCID") && lookup("SLURM_NTASKS")) {
    read_slurm(lookup, out);
  }
  check_rank(out.launcher == Launcher::slurm ? "SLURM_PROCID" : "RANK", out.rank,
             out.launcher == Launcher::slurm ? "SLURM_NTASKS" : "WORLD_SIZE", out.world_size);
  if (!out.distributed()) {
    if (out.launcher == Launcher::slurm) out = LaunchEnvironment();  // an ordinary batch job
    return out;
  }
  const char* local_name = out.launcher == Launcher::slurm ? "SLURM_LOCALID" : "LOCAL_RANK";
  const char* local_size =
      out.launcher == Launcher::slurm ? "SLURM_NTASKS_PER_NODE" : "LOCAL_WORLD_SIZE";
  check_rank(local_name, out.local_rank, local_size, out.local_world_size);
  if (out.local_world_size > out.world_size) {
    throw ConfigError(std::string("environment variable ") + local_size + "=" +
                      std::to_string(out.local_world_size) + " exceeds the world size " +
                      std::to_string(out.world_size));
  }
  if (out.master_addr.empty()) throw ConfigError("environment variable MASTER_ADDR is empty");
  if (out.master_port < 1 || out.master_port > 65535) {
    throw ConfigError("environment variable MASTER_PORT=" + std::to_string(out.master_port) +
                      " is not a TCP port (1 to 65535)");
  }
  return out;
}

const LaunchEnvironment& LaunchEnvironment::current() {
  static const LaunchEnvironment environment = from_variables([](const std::string& name) {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  });
  return environment;
}

}  // namespace wizard::distributed
