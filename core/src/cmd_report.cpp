// `wizard report RUN_DIR`: (re)writes the run's report.html.
#include <iostream>

#include "cli.hpp"
#include "run_report.hpp"

namespace wizard::core {

Command report_command() {
  Command command;
  command.name = "report";
  command.synopsis = "report RUN_DIR";
  command.summary = "write RUN_DIR/report.html: plots, run facts, config, samples";
  command.details =
      "One self-contained HTML file (no network, no script): the logged metrics against\n"
      "steps (loss, NLL loss, rewards, margins, accuracies, learning rate, gradient norm,\n"
      "tokens/s and any other metric; train and eval together), the run's facts, the\n"
      "resolved configuration and the generate_during_eval samples. `wizard run` writes it\n"
      "at the end of every run; this command writes it again, e.g. during a run.\n";
  command.declare = [](po::options_description& options, po::positional_options_description& p) {
    options.add_options()("run-dir", po::value<std::string>()->required(), "the run's output_dir");
    declare_log_option(options);
    p.add("run-dir", 1);
  };
  command.execute = [](const po::variables_map& vm) {
    std::cout << "wrote " << write_run_report(vm["run-dir"].as<std::string>()).string() << "\n";
    return 0;
  };
  return command;
}

}  // namespace wizard::core
