// Small string helpers used for user-facing messages.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
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

// What a nlohmann::json exception says, without its "[json.exception.parse_error.101] parse
// error at " prefix: "line 3, column 5: syntax error while parsing value - ...". Messages
// for users quote this, never the raw what().
WIZARD_API std::string json_error_reason(const std::exception& error);

// A place in a text: 1-based line, and column in characters.
struct TextPlace {
  std::size_t line;
  std::size_t column;
};

// Where `text` stops being valid UTF-8, or nothing when it is valid throughout. For readers
// whose library accepts any bytes.
WIZARD_API std::optional<TextPlace> first_invalid_utf8(std::string_view text);

}  // namespace wizard
