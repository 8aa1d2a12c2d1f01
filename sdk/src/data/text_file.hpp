// Reading data files as text and pointing at places in them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace wizard::data_detail {

struct TextPosition {
  std::int64_t line = 1;    // 1-based
  std::int64_t column = 1;  // 1-based, in characters
};

// The line and column of byte `offset` in `text`.
TextPosition position_at(std::string_view text, std::size_t offset);

// "file:line:column".
std::string place(const std::filesystem::path& file, TextPosition position);

// The whole file as UTF-8 text without a leading byte-order mark. Unreadable
// files and invalid UTF-8 are wizard::Errors naming the file (and line:column).
std::string read_text_file(const std::filesystem::path& file);

}  // namespace wizard::data_detail
