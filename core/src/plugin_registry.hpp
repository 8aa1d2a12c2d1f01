// The plugin registry: finds plugin libraries, checks their ABI before loading
// them, indexes their classes by kind and name, and creates plugin objects.
// Libraries stay loaded for the life of the process.
#pragma once

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wizard/plugin/plugin.hpp"

namespace wizard::core {

struct PluginLibrary {
  std::filesystem::path path;
  std::string name;     // from its ABI record ("wizard_loss_sigmoid", "my_losses")
  std::string version;  // the library's own version
  std::shared_ptr<boost::dll::shared_library> handle;
};

struct PluginClass {
  PluginKind kind;
  std::string name;  // short name
  std::string summary;
  const PluginClassRecord* record = nullptr;
  std::shared_ptr<const PluginLibrary> library;
};

// A library that was found but not loaded, and why (ABI mismatch, not a plugin, ...).
struct RefusedLibrary {
  std::filesystem::path path;
  std::string reason;
  // Class names it exports, read from its sections without loading it, so that
  // asking for one of them can say why it is unavailable.
  std::vector<std::pair<PluginKind, std::string>> classes;
};

class PluginRegistry : public PluginHost {
 public:
  // Scans `search_dirs` in order (non-recursively) for lib*.so files.
  explicit PluginRegistry(const std::vector<std::filesystem::path>& search_dirs);

  const std::vector<PluginClass>& classes() const { return classes_; }
  const std::vector<RefusedLibrary>& refused() const { return refused_; }
  const std::vector<std::filesystem::path>& search_dirs() const { return search_dirs_; }

  // Resolves short names, library.Class names and training-wizard aliases.
  // Unknown, ambiguous or refused names are ConfigErrors that say what exists.
  const PluginClass& resolve(PluginKind kind, const std::string& name) const;
  // Like resolve() over every kind (for `wizard help NAME`).
  // Every plugin of any kind the name resolves to (kinds may share a short name, as the
  // `random` sampler and negative sampler do), in kind order.
  std::vector<const PluginClass*> resolve_any(const std::string& name) const;

  std::shared_ptr<Plugin> create(PluginKind kind, const std::string& name, const Config& config,
                                 const SourceLocation& named_at) override;
  using PluginHost::create;
  OptionDocs options(PluginKind kind, const std::string& name,
                     const SourceLocation& named_at) override;

 private:
  // resolve(), with `named_at` prefixed to any error.
  const PluginClass& resolve_at(PluginKind kind, const std::string& name,
                                const SourceLocation& named_at) const;
  void scan_directory(const std::filesystem::path& dir);
  void load_library(const std::filesystem::path& path);
  std::vector<const PluginClass*> matches(PluginKind kind, const std::string& name) const;

  std::vector<std::filesystem::path> search_dirs_;
  std::vector<PluginClass> classes_;
  std::vector<RefusedLibrary> refused_;
  std::vector<std::filesystem::path> loaded_paths_;  // canonical, to skip a library seen twice
};

// The plugin search path: --plugin-path dirs, the config's plugin_paths,
// WIZARD_PLUGIN_PATH (colon-separated), then the plugin folder next to the binary.
std::vector<std::filesystem::path> plugin_search_path(
    const std::vector<std::string>& cli_dirs,
    const std::vector<std::filesystem::path>& config_dirs);

}  // namespace wizard::core
