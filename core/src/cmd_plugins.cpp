// `wizard plugins` and `wizard help NAME`.
#include <algorithm>
#include <iomanip>
#include <iostream>

#include "cli.hpp"
#include "plugin_registry.hpp"
#include "wizard/base/error.hpp"

namespace wizard::core {

namespace {

void declare_search_options(po::options_description& options) {
  options.add_options()("plugin-path", po::value<std::vector<std::string>>()->composing(),
                        "also look for plugins in this folder (repeatable; searched first)");
  declare_log_option(options);
}

PluginRegistry open_registry(const po::variables_map& vm) {
  std::vector<std::string> dirs;
  if (vm.count("plugin-path")) dirs = vm["plugin-path"].as<std::vector<std::string>>();
  return PluginRegistry(plugin_search_path(dirs, {}));
}

std::optional<PluginKind> parse_kind(const std::string& text) {
  for (PluginKind kind : kPluginKinds) {
    const std::string name = kind_name(kind);
    if (text == name || text == name + "s" || text == name + "es") return kind;
  }
  return std::nullopt;
}

std::string padded(std::string text, std::size_t width) {
  if (text.size() < width) text.resize(width, ' ');
  return text;
}

// A plugin's name, kind, library and options, as `wizard help` prints them.
void print_plugin_help(const PluginClass& plugin) {
  std::cout << plugin.name << " (" << kind_name(plugin.kind) << ") from " << plugin.library->name
            << " " << plugin.library->version << "\n  " << plugin.library->path.string() << "\n\n"
            << plugin.summary << "\n\n";
  const OptionDocs options = plugin.record->options();
  if (options.empty()) {
    std::cout << "No options.\n";
    return;
  }
  std::size_t name_width = 6, type_width = 6, default_width = 9;
  for (const auto& option : options) {
    name_width = std::max(name_width, option.name.size() + 2);
    type_width = std::max(type_width, option.type.size() + 2);
    default_width = std::max(default_width, option.default_value.size() + 2);
  }
  std::cout << padded("OPTION", name_width) << padded("TYPE", type_width)
            << padded("DEFAULT", default_width) << "HELP\n";
  for (const auto& option : options) {
    std::cout << padded(option.name, name_width) << padded(option.type, type_width)
              << padded(option.default_value.empty() ? "-" : option.default_value, default_width)
              << option.help << "\n";
  }
}

}  // namespace

Command plugins_command() {
  Command command;
  command.name = "plugins";
  command.synopsis = "plugins [--kind K] [--plugin-path DIR]...";
  command.summary = "list the plugins found: name, kind, library, version";
  command.declare = [](po::options_description& options, po::positional_options_description&) {
    options.add_options()("kind", po::value<std::string>(),
                          "only this kind: recipe, datasource, sampler or loss");
    declare_search_options(options);
  };
  command.execute = [](const po::variables_map& vm) {
    std::optional<PluginKind> only;
    if (vm.count("kind")) {
      only = parse_kind(vm["kind"].as<std::string>());
      if (!only) {
        throw UsageError(
            "--kind " + vm["kind"].as<std::string>() +
            ": use recipe, datasource, sampler, negative_sampler, negative_miner or loss");
      }
    }
    const PluginRegistry registry = open_registry(vm);
    std::vector<const PluginClass*> rows;
    for (const auto& plugin : registry.classes()) {
      if (!only || plugin.kind == *only) rows.push_back(&plugin);
    }
    std::sort(rows.begin(), rows.end(), [](const PluginClass* a, const PluginClass* b) {
      return std::make_pair(static_cast<int>(a->kind), a->name) <
             std::make_pair(static_cast<int>(b->kind), b->name);
    });
    // Each column as wide as its longest entry, plus two spaces.
    std::size_t name_width = 4, kind_width = 4, library_width = 7, version_width = 7;
    for (const auto* plugin : rows) {
      name_width = std::max(name_width, plugin->name.size());
      kind_width = std::max(kind_width, std::string(kind_name(plugin->kind)).size());
      library_width = std::max(library_width, plugin->library->name.size());
      version_width = std::max(version_width, plugin->library->version.size());
    }
    std::cout << padded("NAME", name_width + 2) << padded("KIND", kind_width + 2)
              << padded("LIBRARY", library_width + 2) << padded("VERSION", version_width + 2)
              << "SUMMARY\n";
    for (const auto* plugin : rows) {
      std::cout << padded(plugin->name, name_width + 2)
                << padded(kind_name(plugin->kind), kind_width + 2)
                << padded(plugin->library->name, library_width + 2)
                << padded(plugin->library->version, version_width + 2) << plugin->summary << "\n";
    }
    // Every lib*.so in a plugin folder that was not loaded, with the reason: a plugin that
    // fails to load must not be invisible.
    for (const auto& refused : registry.refused()) {
      std::cout << "\nnot loaded: " << refused.path.string() << "\n  " << refused.reason << "\n";
    }
    return 0;
  };
  return command;
}

Command help_command() {
  Command command;
  command.name = "help";
  command.synopsis = "help NAME [--plugin-path DIR]...";
  command.summary = "show a plugin's options (name, type, default, help)";
  command.declare = [](po::options_description& options, po::positional_options_description& p) {
    options.add_options()("name", po::value<std::string>()->required(),
                          "plugin name: short, library.Class, or a training-wizard class path");
    declare_search_options(options);
    p.add("name", 1);
  };
  command.execute = [](const po::variables_map& vm) {
    const PluginRegistry registry = open_registry(vm);
    const auto found = registry.resolve_any(vm["name"].as<std::string>());
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (i > 0) std::cout << "\n";
      print_plugin_help(*found[i]);
    }
    return 0;
  };
  return command;
}

}  // namespace wizard::core
