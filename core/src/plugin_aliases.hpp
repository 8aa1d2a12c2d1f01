// Names used by the Python training-wizard's configs, accepted so that those
// configs run unchanged.
#pragma once

#include <optional>
#include <string>

namespace wizard::core {

// The wizard short name for a training-wizard class path, if it is one we know.
std::optional<std::string> training_wizard_alias(const std::string& name);

}  // namespace wizard::core
