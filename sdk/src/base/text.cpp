#include "wizard/base/text.hpp"

#include <algorithm>
#include <cctype>

#include "base/utf8.hpp"

namespace wizard {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  // Optimal string alignment: insertions, deletions, substitutions and swaps of
  // neighbouring letters each cost one (a swap is the commonest typo).
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  auto same = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  };
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::optional<std::string> nearest_name(const std::string& name,
                                        const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(name, candidate);
    if (!best || d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  // Beyond about a third of the name, a suggestion is noise rather than help.
  const std::size_t limit = std::max<std::size_t>(2, name.size() / 3 + 1);
  if (best && best_distance <= limit) return best;
  return std::nullopt;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

std::string json_error_reason(const std::exception& error) {
  std::string text = error.what();
  if (text.rfind("[json.exception.", 0) == 0) {
    const auto end = text.find("] ");
    if (end != std::string::npos) text.erase(0, end + 2);
  }
  for (const char* prefix : {"parse error at ", "parse error: "}) {
    if (text.rfind(prefix, 0) == 0) {
      text.erase(0, std::string(prefix).size());
      break;
    }
  }
  return text;
}

std::optional<TextPlace> first_invalid_utf8(std::string_view text) {
  const std::size_t invalid = utf8::find_invalid(text);
  if (invalid == std::string_view::npos) return std::nullopt;
  const std::string_view before = text.substr(0, invalid);
  const std::size_t line_start = before.rfind('\n') + 1;  // npos + 1 == 0
  const auto newlines = std::count(before.begin(), before.end(), '\n');
  return TextPlace{static_cast<std::size_t>(newlines) + 1,
                   utf8::count(before.substr(line_start)) + 1};
}

}  // namespace wizard
