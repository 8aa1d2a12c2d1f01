// A digest of the headers plugins compile against, blind to comments and white space, so that
// a change to any declaration a plugin sees changes it and a reworded comment does not.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace wizard::test {

// C++ source without its comments, each run of white space (outside literals) one space.
std::string strip_comments_and_space(std::string_view source);

// 64-bit FNV-1a over "<relative path>\n<stripped text>\n" of every .hpp below `root`, in path
// order, as 16 hex digits. Not for security: it only has to notice a change.
std::string header_digest(const std::filesystem::path& root);

}  // namespace wizard::test
