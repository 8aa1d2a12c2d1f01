#include "cli.hpp"

#include <c10/util/Exception.h>

#include <filesystem>
#include <iostream>

#include "logging_setup.hpp"
#include "version_info.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"

namespace wizard::core {

namespace {

constexpr int kOk = 0;
constexpr int kFailure = 1;
constexpr int kUsage = 2;

void print_usage(std::ostream& out) {
  out << "wizard: preference optimisation (CPO, SimPO, ...) of Hugging Face causal LMs\n\n"
      << "Usage: wizard <command> [options]\n\nCommands:\n";
  for (const auto& command : commands()) {
    std::string synopsis = command.synopsis;
    synopsis.resize(std::max<std::size_t>(synopsis.size(), 34), ' ');
    out << "  " << synopsis << command.summary << "\n";
  }
  out << "\nOptions:\n  --help       this text; `wizard <command> --help` for a command's options\n"
      << "  --version    wizard, plugin ABI and LibTorch versions\n\n"
      << "Exit codes: 0 ok, 1 runtime failure, 2 usage or config error, 130/143 stopped by\n"
      << "SIGINT/SIGTERM (training saves a checkpoint first; a second signal stops at once).\n"
      << "Docs: docs/ in the source tree (config.md, plugins.md, architecture.md).\n";
}

const Command* find_command(const std::string& name) {
  for (const auto& command : commands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

int execute(const Command& command, const std::vector<std::string>& args) {
  po::options_description options("Options for `wizard " + command.name + "`");
  po::positional_options_description positional;
  options.add_options()("help,h", "show this help");
  command.declare(options, positional);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: wizard " << command.synopsis << "\n\n"
                << command.summary << "\n\n"
                << options;
      if (!command.details.empty()) std::cout << "\n" << command.details;
      return kOk;
    }
    po::notify(vm);
  } catch (const po::error& error) {
    throw UsageError(std::string(error.what()) + "\n  usage: wizard " + command.synopsis +
                     "\n  (`wizard " + command.name + " --help` lists the options)");
  }
  setup_console_logging(vm.count("log-level") ? vm["log-level"].as<std::string>() : "info");
  return command.execute(vm);
}

}  // namespace

void declare_log_option(po::options_description& options) {
  options.add_options()("log-level", po::value<std::string>()->default_value("info"),
                        "console log level: trace, debug, info, warn, error, off");
}

void declare_config_options(po::options_description& options,
                            po::positional_options_description& positional) {
  options.add_options()("config", po::value<std::string>()->required(),
                        "the config file (.toml, .json, .yaml)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override a config value: --set training_args_spec.beta=0.2 (repeatable)")(
      "plugin-path", po::value<std::vector<std::string>>()->composing(),
      "also look for plugins in this folder (repeatable; searched first)");
  declare_log_option(options);
  positional.add("config", 1);
}

const std::vector<Command>& commands() {
  static const std::vector<Command> all{
      run_command(),  check_command(),      bench_command(),          generate_command(),
      chat_command(), report_command(),     bench_generate_command(), plugins_command(),
      help_command(), init_model_command(), launch_command(),         merge_command()};
  return all;
}

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
      print_usage(args.empty() ? std::cerr : std::cout);
      return args.empty() ? kUsage : kOk;
    }
    if (args[0] == "--version") {
      std::cout << version_text();
      return kOk;
    }
    const Command* command = find_command(args[0]);
    if (!command) {
      std::vector<std::string> names;
      for (const auto& c : commands()) names.push_back(c.name);
      throw UsageError("unknown command '" + args[0] + "'; the commands are " + [&] {
        std::string list;
        for (std::size_t i = 0; i < names.size(); ++i) list += (i ? ", " : "") + names[i];
        return list;
      }() + " (`wizard --help`)");
    }
    return execute(*command, std::vector<std::string>(args.begin() + 1, args.end()));
  } catch (const Interrupted& stopped) {
    wizard::logger()->warn("{}", stopped.what());
    return 128 + stopped.signal();
  } catch (const UsageError& error) {
    wizard::logger()->error("{}", error.what());
    return kUsage;
  } catch (const ConfigError& error) {
    wizard::logger()->error("config error: {}", error.what());
    return kUsage;
  } catch (const Error& error) {
    wizard::logger()->error("{}", error.what());
    return kFailure;
  } catch (const c10::Error& error) {
    // LibTorch's messages carry a C++ backtrace; the first line is the message.
    wizard::logger()->error("LibTorch error: {}", error.what_without_backtrace());
    return kFailure;
  } catch (const std::filesystem::filesystem_error& error) {
    wizard::logger()->error(
        "{}; check that the path exists and is writable and that the disk has free space",
        error_text(error));
    return kFailure;
  } catch (const std::exception& error) {
    wizard::logger()->error("unexpected error: {}", error_text(error));
    return kFailure;
  }
}

}  // namespace wizard::core
