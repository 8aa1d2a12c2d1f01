#pragma once

#include <string>

namespace wizard::core {

// What `wizard --version` prints: wizard, plugin ABI and LibTorch versions.
std::string version_text();

}  // namespace wizard::core
