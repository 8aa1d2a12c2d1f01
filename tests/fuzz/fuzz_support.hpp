// What every harness shares: inputs as text, and the rule that a parser may refuse input only
// with a wizard::Error (a message for the user). Any other exception escapes the harness,
// std::terminate aborts, and libFuzzer reports the input as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wizard::fuzz {

inline std::string text_of(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// The part after the first byte (which picks a format), split at "\n%%\n": the document, and
// the lines after the separator (extra inputs such as --set overrides).
struct SplitInput {
  char selector = 0;
  std::string document;
  std::vector<std::string> extra_lines;
};

inline SplitInput split_input(const std::uint8_t* data, std::size_t size) {
  SplitInput out;
  if (size == 0) return out;
  out.selector = static_cast<char>(data[0]);
  out.document = text_of(data + 1, size - 1);
  const auto separator = out.document.find("\n%%\n");
  if (separator == std::string::npos) return out;
  const std::string rest = out.document.substr(separator + 4);
  out.document.resize(separator);
  std::size_t start = 0;
  while (start < rest.size()) {
    std::size_t end = rest.find('\n', start);
    if (end == std::string::npos) end = rest.size();
    if (end > start) out.extra_lines.push_back(rest.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace wizard::fuzz
