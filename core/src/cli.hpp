// The command line: `wizard <command> [options]`. Exit codes: 0 ok, 1 runtime
// failure, 2 usage or config error.
#pragma once

#include <boost/program_options.hpp>

#include <functional>
#include <string>
#include <vector>

namespace wizard::core {

namespace po = boost::program_options;

struct Command {
  std::string name;
  std::string synopsis;  // "run CONFIG [options]"
  std::string summary;   // one line
  std::string details;   // printed by `wizard <command> --help` after the options
  // Declares the command's options and positionals.
  std::function<void(po::options_description&, po::positional_options_description&)> declare;
  // Runs it with the parsed options; returns the exit code.
  std::function<int(const po::variables_map&)> execute;
};

// Every command, in the order `wizard --help` lists them.
const std::vector<Command>& commands();

// Parses argv, runs the command, maps errors to messages and exit codes.
int run_cli(int argc, char** argv);

// Options shared by the commands that read a config (run, check, bench).
void declare_config_options(po::options_description& options,
                            po::positional_options_description& positional);
// The session of a command declared with declare_config_options.
struct SessionOptions;
SessionOptions session_options(const po::variables_map& vm);
// --log-level, shared by every command.
void declare_log_option(po::options_description& options);

// Command tables, one per file.
Command run_command();
Command check_command();
Command plugins_command();
Command help_command();
Command init_model_command();
Command merge_command();
Command bench_command();
Command generate_command();
Command bench_generate_command();
Command chat_command();
Command report_command();
Command launch_command();

}  // namespace wizard::core
