#include "version_info.hpp"

#include <torch/version.h>

#include "wizard/version.hpp"

namespace wizard::core {

std::string version_text() {
  return std::string("wizard ") + WIZARD_VERSION_STRING + "\n" + "plugin ABI " +
         std::to_string(WIZARD_ABI_VERSION) + "\n" + "LibTorch " + TORCH_VERSION + "\n";
}

}  // namespace wizard::core
