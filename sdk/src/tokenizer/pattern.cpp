#include "tokenizer/pattern.hpp"

#include "wizard/base/error.hpp"

namespace wizard::tokenizer {

Pattern Pattern::from_json(const JsonView& node) {
  if (node.has("String")) return literal(node.string("String"));
  if (node.has("Regex")) {
    try {
      return regex(node.string("Regex"));
    } catch (const Error& error) {
      node.at("Regex").fail(error.what());
    }
  }
  node.fail("expected a pattern {\"String\": ...} or {\"Regex\": ...}");
}

Pattern Pattern::literal(std::string text) {
  Pattern pattern;
  pattern.literal_ = std::move(text);
  return pattern;
}

Pattern Pattern::regex(std::string_view text) {
  Pattern pattern;
  pattern.regex_ = Regex::compile(text);
  return pattern;
}

void Pattern::spans(std::string_view text, std::uint32_t base, std::vector<Span>& out) const {
  out.clear();
  std::uint32_t previous = 0;
  for_each_match(text, [&](std::size_t begin, std::size_t end) {
    const auto b = static_cast<std::uint32_t>(begin), e = static_cast<std::uint32_t>(end);
    if (previous != b) out.push_back({base + previous, base + b, false});
    out.push_back({base + b, base + e, true});
    previous = e;
  });
  if (previous != text.size())
    out.push_back({base + previous, base + static_cast<std::uint32_t>(text.size()), false});
}

std::string Pattern::replace_all(std::string_view text, std::string_view content) const {
  std::string out;
  out.reserve(text.size());
  std::size_t previous = 0;
  for_each_match(text, [&](std::size_t begin, std::size_t end) {
    out.append(text.substr(previous, begin - previous));
    out.append(content);
    previous = end;
  });
  out.append(text.substr(previous));
  return out;
}

}  // namespace wizard::tokenizer
