// The base of every plugin object, the plugin kinds, the record a library exports per
// class, and the host services a plugin may use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "wizard/base/config.hpp"
#include "wizard/base/export.hpp"

namespace wizard {

enum class PluginKind : std::uint32_t {
  Recipe = 1,
  DataSource = 2,
  Sampler = 3,
  Loss = 4,
  NegativeSampler = 5,
  NegativeMiner = 6,
};

// Every kind, in the order `wizard plugins` lists them.
inline constexpr PluginKind kPluginKinds[] = {
    PluginKind::Recipe,          PluginKind::DataSource,    PluginKind::Sampler,
    PluginKind::NegativeSampler, PluginKind::NegativeMiner, PluginKind::Loss};

// "recipe", "datasource", "sampler", "loss", "negative_sampler", "negative_miner".
WIZARD_API const char* kind_name(PluginKind kind);
// The ELF section listing a kind's classes (at most 8 bytes, a Boost.DLL limit).
WIZARD_API const char* kind_section(PluginKind kind);

class WIZARD_API Plugin {
 public:
  virtual ~Plugin();
};

class PluginHost;

// Exported once per class (see wizard/plugin/export.hpp). Constant-initialised
// plain data, so listing classes runs no plugin code.
struct PluginClassRecord {
  PluginKind kind;
  const char* name;     // short name, e.g. "sigmoid"
  const char* summary;  // one line for `wizard plugins`
  OptionDocs (*options)();
  // Validates `config` (the plugin's own table) strictly and builds the object.
  std::unique_ptr<Plugin> (*create)(const Config& config, PluginHost& host);
};

// What the host offers plugins: creating other plugins by name.
class WIZARD_API PluginHost {
 public:
  virtual ~PluginHost();

  // Creates plugin `name` of `kind` from `config` (the plugin's own table).
  // Names are short names ("jsonl"), library.Class names ("my_losses.FocalCPO")
  // or training-wizard aliases. An unknown name is a ConfigError pointing at
  // `named_at` (where the name was written) and listing what exists.
  virtual std::shared_ptr<Plugin> create(PluginKind kind, const std::string& name,
                                         const Config& config, const SourceLocation& named_at) = 0;

  // The documented options of plugin `name` (for recipes that gather a
  // plugin's options from a larger table, as CPO does for the loss).
  virtual OptionDocs options(PluginKind kind, const std::string& name,
                             const SourceLocation& named_at) = 0;

  template <class Interface>
  std::shared_ptr<Interface> create(const std::string& name, const Config& config,
                                    const SourceLocation& named_at = {}) {
    return std::static_pointer_cast<Interface>(create(Interface::kKind, name, config, named_at));
  }

  // Creates the plugin that `config` names with its `spec_class` key, or
  // `default_name` when the key is absent (an error when both are missing).
  template <class Interface>
  std::shared_ptr<Interface> create_from(const Config& config,
                                         const std::string& default_name = "") {
    const std::string name = config.get<std::string>("spec_class", default_name);
    if (name.empty()) config.fail("spec_class", "missing: name the plugin to use with spec_class");
    return create<Interface>(name, config, config.location("spec_class"));
  }
};

}  // namespace wizard
