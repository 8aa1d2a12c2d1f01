// Python's str semantics for templates: case mapping, strip and split by code point, Unicode
// whitespace as Python sees it. Decoding is base/utf8.hpp's (invalid bytes read as U+FFFD).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wizard::jinja::unicode {

// Python str.isspace() for one code point.
bool is_space(char32_t c);

// Case mapping for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic (what
// chat templates meet); other code points are left as they are.
char32_t to_upper(char32_t c);
char32_t to_lower(char32_t c);
bool is_cased_upper(char32_t c);
bool is_cased_lower(char32_t c);
bool is_alpha(char32_t c);
bool is_digit(char32_t c);

std::string upper(std::string_view text);
std::string lower(std::string_view text);

// Python str.strip/lstrip/rstrip: without `chars`, Unicode whitespace.
enum class Side { Left, Right, Both };
std::string_view strip(std::string_view text, Side side);
std::string_view strip(std::string_view text, std::string_view chars, Side side);

// Python str.split() without a separator: runs of Unicode whitespace.
std::vector<std::string> split_whitespace(std::string_view text, long max_split, bool from_right);

// Python str.splitlines() (keepends=False).
std::vector<std::string> split_lines(std::string_view text);

}  // namespace wizard::jinja::unicode
