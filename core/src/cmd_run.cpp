// `wizard run` and `wizard check`.
#include <iostream>

#include "cli.hpp"
#include "config_files.hpp"
#include "session.hpp"
#include "wizard/base/log.hpp"

namespace wizard::core {

SessionOptions session_options(const po::variables_map& vm) {
  SessionOptions options;
  options.config_path = vm["config"].as<std::string>();
  if (vm.count("set")) options.overrides = vm["set"].as<std::vector<std::string>>();
  if (vm.count("plugin-path"))
    options.plugin_dirs = vm["plugin-path"].as<std::vector<std::string>>();
  return options;
}

Command run_command() {
  Command command;
  command.name = "run";
  command.synopsis = "run CONFIG [--set k=v]... [--plugin-path DIR]...";
  command.summary = "run the recipe the config names (train, inspect, ...)";
  command.details =
      "The run folder (the recipe's output_dir) receives resolved_config.toml and\n"
      "wizard.log, plus whatever the recipe writes (metrics, checkpoints). The folder is\n"
      "locked while the run lives: a second run into it is refused. SIGINT or SIGTERM\n"
      "stops a training run after the current step, with a checkpoint (exit 130/143).\n";
  command.declare = declare_config_options;
  command.execute = [](const po::variables_map& vm) {
    Session session(session_options(vm));
    // Before anything else: a second run into the same folder is refused at once.
    session.lock_run_folder();
    session.recipe().prepare();
    session.open_run_folder();
    return session.recipe().run();
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
