// UTF-8 helpers with Python's str semantics: templates index, slice, strip and
// split strings by code point and treat Unicode whitespace as Python does.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wizard::jinja::unicode {

// Decodes the code point at `pos` and advances `pos`. A malformed byte counts
// as one code point of its own value, so lengths and offsets stay consistent.
char32_t next(std::string_view text, std::size_t& pos);

void append(std::string& out, char32_t code_point);

// Number of code points (Python len()).
std::size_t length(std::string_view text);

// Byte offset of every code point, plus text.size() at the end.
std::vector<std::size_t> boundaries(std::string_view text);

bool is_ascii(std::string_view text);

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
