#include "plugin_registry.hpp"

#include <boost/dll/library_info.hpp>
#include <boost/dll/runtime_symbol_info.hpp>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "plugin_aliases.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"
#include "wizard/plugin/abi.hpp"

namespace wizard::core {

namespace fs = std::filesystem;

namespace {

std::string expected_tag() {
  return std::string(abi::kTagPrefix) + std::to_string(WIZARD_ABI_VERSION) + "_torch_" +
         std::to_string(TORCH_VERSION_MAJOR) + "_" + std::to_string(TORCH_VERSION_MINOR);
}

// "wizard_abi_3_torch_2_1" -> "wizard ABI 3 with LibTorch 2.1".
std::string describe_tag(const std::string& tag) {
  unsigned abi = 0, major = 0, minor = 0;
  if (std::sscanf(tag.c_str(), "wizard_abi_%u_torch_%u_%u", &abi, &major, &minor) == 3) {
    return "wizard ABI " + std::to_string(abi) + " with LibTorch " + std::to_string(major) + "." +
           std::to_string(minor);
  }
  return "an unreadable ABI tag '" + tag + "'";
}

std::string this_build() {
  return "wizard ABI " + std::to_string(WIZARD_ABI_VERSION) + " with LibTorch " +
         std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR);
}

bool has_section(const std::vector<std::string>& sections, const char* name) {
  return std::find(sections.begin(), sections.end(), name) != sections.end();
}

bool is_plugin_file_name(const fs::path& path) {
  const std::string file = path.filename().string();
  return file.rfind("lib", 0) == 0 && path.extension() == ".so";
}

std::string plural(PluginKind kind) {
  const std::string name = kind_name(kind);
  return name == "datasource" ? "datasources" : name + (name.back() == 's' ? "es" : "s");
}

}  // namespace

PluginRegistry::PluginRegistry(const std::vector<fs::path>& search_dirs)
    : search_dirs_(search_dirs) {
  for (const auto& dir : search_dirs_) scan_directory(dir);
}

void PluginRegistry::scan_directory(const fs::path& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) return;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_regular_file() && is_plugin_file_name(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // a stable order, whatever the filesystem says
  for (const auto& file : files) load_library(file);
}

void PluginRegistry::load_library(const fs::path& path) {
  std::error_code error;
  const fs::path canonical = fs::canonical(path, error);
  if (std::find(loaded_paths_.begin(), loaded_paths_.end(), canonical) != loaded_paths_.end())
    return;
  loaded_paths_.push_back(canonical);

  // 1. Read the sections without loading anything.
  std::vector<std::string> sections;
  std::vector<std::string> tags;
  std::vector<std::pair<PluginKind, std::string>> exported;
  try {
    boost::dll::library_info info(path.string());
    sections = info.sections();
    if (has_section(sections, abi::kTagSection)) tags = info.symbols(abi::kTagSection);
    for (PluginKind kind : kPluginKinds) {
      if (!has_section(sections, kind_section(kind))) continue;
      for (const auto& symbol : info.symbols(kind_section(kind))) {
        if (symbol.rfind(abi::kClassPrefix, 0) == 0) {
          exported.emplace_back(kind, symbol.substr(std::string(abi::kClassPrefix).size()));
        }
      }
    }
  } catch (const std::exception& e) {
    refused_.push_back({path,
                        std::string("not a readable shared library (") + e.what() +
                            "); remove it from the plugin folder or rebuild it",
                        {}});
    wizard::logger()->warn("{}: skipped: {}", path.string(), refused_.back().reason);
    return;
  }
  if (tags.empty()) {
    // Some other library in a plugin folder: not ours, not an error.
    wizard::logger()->debug("{}: no wizard ABI tag; not a wizard plugin, skipped", path.string());
    refused_.push_back({path, "not a wizard plugin (it has no wizard ABI tag)", exported});
    return;
  }
  if (std::find(tags.begin(), tags.end(), expected_tag()) == tags.end()) {
    refused_.push_back({path,
                        "it was built for " + describe_tag(tags.front()) + ", but this wizard is " +
                            this_build() +
                            "; rebuild the plugin against this wizard's SDK (find_package(wizard))",
                        exported});
    wizard::logger()->warn("plugin {} refused: {}", path.string(), refused_.back().reason);
    return;
  }

  // 2. Load it and check the record it reports.
  auto library = std::make_shared<PluginLibrary>();
  library->path = path;
  try {
    library->handle = std::make_shared<boost::dll::shared_library>(
        path.string(), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    refused_.push_back({path, std::string("it could not be loaded: ") + e.what(), exported});
    wizard::logger()->warn("plugin {} refused: {}", path.string(), refused_.back().reason);
    return;
  }
  if (!library->handle->has(abi::kRecordFunction)) {
    refused_.push_back(
        {path, "it has an ABI tag but no wizard_plugin_abi_record(); rebuild it", exported});
    return;
  }
  const wizard_abi_record* record =
      library->handle->get<const wizard_abi_record*()>(abi::kRecordFunction)();
  if (!record || record->record_size < sizeof(wizard_abi_record) ||
      record->abi_version != WIZARD_ABI_VERSION || record->torch_major != TORCH_VERSION_MAJOR ||
      record->torch_minor != TORCH_VERSION_MINOR) {
    std::ostringstream reason;
    if (record) {
      reason << "its ABI record says wizard ABI " << record->abi_version << " with LibTorch "
             << record->torch_major << "." << record->torch_minor << ", but this wizard is "
             << this_build() << "; rebuild the plugin against this wizard's SDK";
    } else {
      reason << "its ABI record is missing";
    }
    refused_.push_back({path, reason.str(), exported});
    wizard::logger()->warn("plugin {} refused: {}", path.string(), refused_.back().reason);
    return;
  }
  library->name = record->library ? record->library : path.stem().string().substr(3);
  library->version = record->version ? record->version : "";

  // 3. Index its classes.
  for (const auto& [kind, name] : exported) {
    const std::string symbol = abi::kClassPrefix + name;
    const auto* class_record =
        static_cast<const PluginClassRecord*>(library->handle->get<const void*>(symbol));
    if (!class_record || class_record->kind != kind || !class_record->create) {
      wizard::logger()->warn("{}: class record {} is malformed; skipped", path.string(), symbol);
      continue;
    }
    classes_.push_back(PluginClass{kind, class_record->name,
                                   class_record->summary ? class_record->summary : "", class_record,
                                   library});
  }
  wizard::logger()->debug("loaded plugin library {} {} ({})", library->name, library->version,
                          path.string());
}

std::vector<const PluginClass*> PluginRegistry::matches(PluginKind kind,
                                                        const std::string& name) const {
  std::vector<const PluginClass*> found;
  const auto dot = name.rfind('.');
  for (const auto& plugin : classes_) {
    if (plugin.kind != kind) continue;
    if (dot == std::string::npos) {
      if (plugin.name == name) found.push_back(&plugin);
    } else {
      const std::string library = name.substr(0, dot);
      const std::string file_stem = plugin.library->path.stem().string().substr(3);
      if (plugin.name == name.substr(dot + 1) &&
          (plugin.library->name == library || file_stem == library)) {
        found.push_back(&plugin);
      }
    }
  }
  return found;
}

const PluginClass& PluginRegistry::resolve(PluginKind kind, const std::string& requested) const {
  const std::string name = training_wizard_alias(requested).value_or(requested);
  const auto found = matches(kind, name);
  if (found.size() == 1) return *found.front();
  if (found.size() > 1) {
    std::string message = "the " + std::string(kind_name(kind)) + " '" + name +
                          "' is exported by more than one plugin library:";
    for (const auto* plugin : found) message += "\n  " + plugin->library->path.string();
    message += "\nremove one of them from the plugin path, or name the class as library.Class (";
    for (std::size_t i = 0; i < found.size(); ++i) {
      message += (i ? ", " : "") + found[i]->library->name + "." + found[i]->name;
    }
    throw ConfigError(message + ")");
  }
  // Known but refused?
  const std::string class_name =
      name.substr(name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1);
  for (const auto& refused : refused_) {
    for (const auto& [refused_kind, refused_name] : refused.classes) {
      if (refused_kind == kind && refused_name == class_name) {
        throw ConfigError("the " + std::string(kind_name(kind)) + " '" + name + "' is in " +
                          refused.path.string() + ", which was not loaded: " + refused.reason);
      }
    }
  }
  std::vector<std::string> available;
  for (const auto& plugin : classes_) {
    if (plugin.kind == kind) available.push_back(plugin.name);
  }
  std::sort(available.begin(), available.end());
  std::string message = "unknown " + std::string(kind_name(kind)) + " '" + requested + "'";
  if (auto suggestion = nearest_name(name, available))
    message += "; did you mean '" + *suggestion + "'?";
  message += "\n  available " + plural(kind) + ": " +
             (available.empty() ? std::string("none found") : join(available));
  message += "\n  searched: ";
  std::vector<std::string> dirs;
  for (const auto& dir : search_dirs_) dirs.push_back(dir.string());
  message += dirs.empty() ? std::string("no plugin folders") : join(dirs, ", ");
  message +=
      "\n  (`wizard plugins` lists every plugin; add folders with --plugin-path or "
      "WIZARD_PLUGIN_PATH)";
  throw ConfigError(message);
}

std::vector<const PluginClass*> PluginRegistry::resolve_any(const std::string& requested) const {
  const std::string name = training_wizard_alias(requested).value_or(requested);
  std::vector<const PluginClass*> found;
  for (PluginKind kind : kPluginKinds) {
    // resolve() explains a name that is ambiguous within a kind.
    if (!matches(kind, name).empty()) found.push_back(&resolve(kind, name));
  }
  if (!found.empty()) return found;
  std::vector<std::string> available;
  for (const auto& plugin : classes_) available.push_back(plugin.name);
  std::sort(available.begin(), available.end());
  available.erase(std::unique(available.begin(), available.end()), available.end());
  std::string message = "unknown plugin '" + requested + "'";
  if (auto suggestion = nearest_name(name, available))
    message += "; did you mean '" + *suggestion + "'?";
  message += "\n  available: " + join(available);
  throw ConfigError(message);
}

const PluginClass& PluginRegistry::resolve_at(PluginKind kind, const std::string& name,
                                              const SourceLocation& named_at) const {
  try {
    return resolve(kind, name);
  } catch (const ConfigError& error) {
    if (named_at.file.empty()) throw;
    throw ConfigError(named_at.str() + ": " + error.what());
  }
}

OptionDocs PluginRegistry::options(PluginKind kind, const std::string& name,
                                   const SourceLocation& named_at) {
  return resolve_at(kind, name, named_at).record->options();
}

std::shared_ptr<Plugin> PluginRegistry::create(PluginKind kind, const std::string& name,
                                               const Config& config,
                                               const SourceLocation& named_at) {
  const PluginClass* plugin = &resolve_at(kind, name, named_at);
  std::unique_ptr<Plugin> object = plugin->record->create(config, *this);
  // The object keeps its library alive (libraries are never unloaded anyway).
  auto library = plugin->library;
  return std::shared_ptr<Plugin>(object.release(), [library](Plugin* p) { delete p; });
}

std::vector<fs::path> plugin_search_path(const std::vector<std::string>& cli_dirs,
                                         const std::vector<fs::path>& config_dirs) {
  std::vector<fs::path> dirs;
  for (const auto& dir : cli_dirs) {
    if (!fs::is_directory(dir)) throw UsageError("--plugin-path " + dir + ": no such folder");
    dirs.emplace_back(dir);
  }
  for (const auto& dir : config_dirs) dirs.push_back(dir);
  if (const char* env = std::getenv("WIZARD_PLUGIN_PATH")) {
    std::stringstream list(env);
    std::string dir;
    while (std::getline(list, dir, ':')) {
      if (dir.empty()) continue;
      if (!fs::is_directory(dir)) {
        wizard::logger()->warn("WIZARD_PLUGIN_PATH names {}, which is not a folder; ignored", dir);
        continue;
      }
      dirs.emplace_back(dir);
    }
  }
  const fs::path program = boost::dll::program_location().string();
  dirs.push_back((program.parent_path() / WIZARD_PLUGIN_RELATIVE_DIR).lexically_normal());
  return dirs;
}

}  // namespace wizard::core
