// The plugin ABI record and the names the host looks for in a plugin library.
//
// The host reads a library's sections *before loading it*
// (boost::dll::library_info) and refuses it unless it carries the ABI tag of
// this build: wizard ABI number and LibTorch major/minor. Only then is the
// library loaded, its extern "C" record checked again, and its classes created.
#pragma once

#include <torch/version.h>

#include <cstdint>

#include "wizard/version.hpp"

extern "C" {

// What a plugin library says about itself. Plain C, read before any C++ object.
struct wizard_abi_record {
  std::uint32_t record_size;  // sizeof(wizard_abi_record) as the plugin saw it
  std::uint32_t abi_version;  // WIZARD_ABI_VERSION the plugin was built with
  std::uint32_t torch_major;  // LibTorch the plugin was built against
  std::uint32_t torch_minor;
  const char* library;      // plugin library name ("my_losses" for libmy_losses.so)
  const char* version;      // the plugin library's own version
  const char* sdk_version;  // wizard SDK version it was built against
};

typedef const wizard_abi_record* (*wizard_abi_record_fn)();
}

namespace wizard::abi {

// The extern "C" function every plugin exports (see WIZARD_PLUGIN_LIBRARY).
inline constexpr const char* kRecordFunction = "wizard_plugin_abi_record";
// Section holding the ABI tag symbol, readable without loading the library.
inline constexpr const char* kTagSection = "wzabi";
// Tag symbols are named wizard_abi_<abi>_torch_<major>_<minor>.
inline constexpr const char* kTagPrefix = "wizard_abi_";
// Class records are exported as wizard_class_<name> in one section per kind.
inline constexpr const char* kClassPrefix = "wizard_class_";

}  // namespace wizard::abi
