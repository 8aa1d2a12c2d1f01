// The macros a plugin author uses.
//
//   // once per library, in one .cpp:
//   WIZARD_PLUGIN_LIBRARY("my_losses", "1.0.0")
//
//   // once per class; the class has a constructor (const Config&, PluginHost&),
//   // `static constexpr const char* kSummary` and `static OptionDocs options()`:
//   WIZARD_EXPORT_LOSS(FocalCPO, FocalCPO)   // users name it "my_losses.FocalCPO"
//
// Names must be C identifiers. See docs/plugins.md.
#pragma once

#include <boost/dll/alias.hpp>
#include <boost/preprocessor/cat.hpp>

#include <memory>

#include "wizard/plugin/abi.hpp"
#include "wizard/plugin/plugin.hpp"

namespace wizard::detail {

// Strict config check, then construction: every plugin validates its table the same way.
template <class Class>
std::unique_ptr<Plugin> create_plugin(const Config& config, PluginHost& host) {
  config.check_keys(Class::options());
  return std::make_unique<Class>(config, host);
}

}  // namespace wizard::detail

// wizard_abi_<abi>_torch_<major>_<minor>: the tag the host reads before loading.
#define WIZARD_ABI_TAG_SYMBOL                                                                \
  BOOST_PP_CAT(                                                                              \
      BOOST_PP_CAT(                                                                          \
          BOOST_PP_CAT(BOOST_PP_CAT(BOOST_PP_CAT(wizard_abi_, WIZARD_ABI_VERSION), _torch_), \
                       TORCH_VERSION_MAJOR),                                                 \
          _),                                                                                \
      TORCH_VERSION_MINOR)

#define WIZARD_PLUGIN_LIBRARY(LibraryName, LibraryVersion)                   \
  extern "C" __attribute__((visibility("default"))) const wizard_abi_record* \
  wizard_plugin_abi_record() {                                               \
    static const wizard_abi_record record{                                   \
        sizeof(wizard_abi_record), WIZARD_ABI_VERSION, TORCH_VERSION_MAJOR,  \
        TORCH_VERSION_MINOR,       LibraryName,        LibraryVersion,       \
        WIZARD_VERSION_STRING};                                              \
    return &record;                                                          \
  }                                                                          \
  namespace wizard_plugin_library {                                          \
  const char abi_tag = 0;                                                    \
  }                                                                          \
  BOOST_DLL_ALIAS_SECTIONED(wizard_plugin_library::abi_tag, WIZARD_ABI_TAG_SYMBOL, wzabi)

#define WIZARD_EXPORT_CLASS_IN(Section, Kind, Class, Name)                                  \
  namespace wizard_plugin_classes {                                                         \
  const ::wizard::PluginClassRecord record_##Name{::wizard::PluginKind::Kind, #Name,        \
                                                  Class::kSummary, &Class::options,         \
                                                  &::wizard::detail::create_plugin<Class>}; \
  }                                                                                         \
  BOOST_DLL_ALIAS_SECTIONED(wizard_plugin_classes::record_##Name, wizard_class_##Name, Section)

#define WIZARD_EXPORT_RECIPE(Class, Name) WIZARD_EXPORT_CLASS_IN(wzrecipe, Recipe, Class, Name)
#define WIZARD_EXPORT_DATASOURCE(Class, Name) \
  WIZARD_EXPORT_CLASS_IN(wzdatsrc, DataSource, Class, Name)
#define WIZARD_EXPORT_SAMPLER(Class, Name) WIZARD_EXPORT_CLASS_IN(wzsamplr, Sampler, Class, Name)
#define WIZARD_EXPORT_LOSS(Class, Name) WIZARD_EXPORT_CLASS_IN(wzloss, Loss, Class, Name)
#define WIZARD_EXPORT_NEGATIVE_SAMPLER(Class, Name) \
  WIZARD_EXPORT_CLASS_IN(wznegsam, NegativeSampler, Class, Name)
#define WIZARD_EXPORT_NEGATIVE_MINER(Class, Name) \
  WIZARD_EXPORT_CLASS_IN(wzminer, NegativeMiner, Class, Name)
