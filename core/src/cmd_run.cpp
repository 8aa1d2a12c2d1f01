// `wizard run` and `wizard check`.
#include <sys/resource.h>
#include <torch/version.h>
#include <unistd.h>

#include <ATen/Parallel.h>

#include <chrono>
#include <ctime>
#include <iostream>

#include "cli.hpp"
#include "config_files.hpp"
#include "run_report.hpp"
#include "session.hpp"
#include "wizard/base/log.hpp"
#include "wizard/distributed/environment.hpp"
#include "wizard/version.hpp"

namespace wizard::core {

SessionOptions session_options(const po::variables_map& vm) {
  SessionOptions options;
  options.config_path = vm["config"].as<std::string>();
  if (vm.count("set")) options.overrides = vm["set"].as<std::vector<std::string>>();
  if (vm.count("plugin-path"))
    options.plugin_dirs = vm["plugin-path"].as<std::vector<std::string>>();
  return options;
}

namespace {

std::string local_time(std::time_t time) {
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&time));
  return text;
}

// run_info.json and report.html in the run folder, after the recipe ran (or failed).
void write_run_records(const std::filesystem::path& dir, const Session& session,
                       const std::string& summary, std::time_t started,
                       std::chrono::steady_clock::time_point clock_start,
                       const std::string& status) {
  if (dir.empty() || !std::filesystem::is_directory(dir)) return;
  if (!distributed::LaunchEnvironment::current().is_main()) return;  // rank 0 writes them
  try {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    char host[256] = {0};
    ::gethostname(host, sizeof(host) - 1);
    nlohmann::ordered_json info = {
        {"status", status},
        {"recipe", recipe_name(session.config())},
        {"started", local_time(started)},
        {"finished", local_time(std::time(nullptr))},
        {"seconds",
         std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count()},
        {"peak_rss_bytes", static_cast<double>(usage.ru_maxrss) * 1024.0},
        {"host", host},
        {"threads", at::get_num_threads()},
        {"wizard_version", WIZARD_VERSION_STRING},
        {"torch_version", TORCH_VERSION},
        {"summary", summary}};
    write_run_info(dir, info);
    const auto report = write_run_report(dir);
    wizard::logger()->info("report: {}", report.string());
  } catch (const std::exception& error) {
    wizard::logger()->warn("could not write the run report in {}: {}", dir.string(), error.what());
  }
}

}  // namespace

Command run_command() {
  Command command;
  command.name = "run";
  command.synopsis = "run CONFIG [--set k=v]... [--plugin-path DIR]...";
  command.summary = "run the recipe the config names (train, inspect, ...)";
  command.details =
      "The run folder (the recipe's output_dir) receives resolved_config.toml and\n"
      "wizard.log, plus whatever the recipe writes (metrics, checkpoints), and at the end\n"
      "run_info.json and report.html (plots, facts, config, samples; `wizard report`). The\n"
      "folder is locked while the run lives: a second run into it is refused. SIGINT or\n"
      "SIGTERM stops a training run after the current step, with a checkpoint (exit 130/143).\n";
  command.declare = declare_config_options;
  command.execute = [](const po::variables_map& vm) {
    const std::time_t started = std::time(nullptr);
    const auto clock_start = std::chrono::steady_clock::now();
    Session session(session_options(vm));
    // Before anything else: a second run into the same folder is refused at once.
    session.lock_run_folder();
    session.recipe().prepare();
    const std::filesystem::path dir = session.open_run_folder();
    const std::string summary = session.recipe().summary();
    int code = 0;
    try {
      code = session.recipe().run();
    } catch (const std::exception& error) {
      write_run_records(dir, session, summary, started, clock_start,
                        std::string("failed: ") + error.what());
      throw;
    }
    write_run_records(dir, session, summary, started, clock_start,
                      code == 0 ? "finished" : "exited with code " + std::to_string(code));
    return code;
  };
  return command;
}

Command check_command() {
  Command command;
  command.name = "check";
  command.synopsis = "check CONFIG [--set k=v]... [--plugin-path DIR]...";
  command.summary = "load config and plugins, build everything, but do not run";
  command.details =
      "Exits 0 when everything the run needs could be built; 2 for config errors,\n"
      "1 for other problems (missing data, unreadable model).\n";
  command.declare = [](po::options_description& options, po::positional_options_description& p) {
    declare_config_options(options, p);
    options.add_options()("print-config", "also print the resolved config (defaults filled in)");
  };
  command.execute = [](const po::variables_map& vm) {
    Session session(session_options(vm));
    session.recipe().prepare();
    std::cout << session.recipe().summary();
    if (vm.count("print-config")) {
      std::cout << "\n# resolved configuration\n" << write_toml(session.config().resolved());
    }
    std::cout << "check passed: " << vm["config"].as<std::string>() << "\n";
    return 0;
  };
  return command;
}

}  // namespace wizard::core
