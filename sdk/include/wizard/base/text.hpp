// Small string helpers used for user-facing messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard {

// Edit distance with neighbour swaps (bytes, case-insensitive), used to
// suggest the nearest valid name.
WIZARD_API std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidate closest to `name`, if it is close enough to be a plausible typo.
WIZARD_API std::optional<std::string> nearest_name(const std::string& name,
                                                   const std::vector<std::string>& candidates);

// "a, b, c" for messages.
WIZARD_API std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

}  // namespace wizard
