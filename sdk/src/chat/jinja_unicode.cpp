#include "chat/jinja_unicode.hpp"

#include "base/utf8.hpp"

namespace wizard::jinja::unicode {

bool is_space(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

namespace {

// Blocks where upper and lower case alternate (even upper, odd lower, or the
// reverse for `odd_upper`).
struct AlternatingBlock {
  char32_t first;
  char32_t last;
  bool odd_upper;
};

constexpr AlternatingBlock kAlternating[] = {
    {0x100, 0x137, false},   {0x139, 0x148, true},    {0x14A, 0x177, false}, {0x179, 0x17E, true},
    {0x460, 0x481, false},   {0x48A, 0x4BF, false},   {0x4C1, 0x4CE, true},  {0x4D0, 0x52F, false},
    {0x1E00, 0x1E95, false}, {0x1EA0, 0x1EFF, false},
};

// Blocks where a whole range of capitals maps to a range of small letters at a fixed distance.
struct ShiftedBlock {
  char32_t upper_first;
  char32_t upper_last;
  char32_t lower_first;
};

constexpr ShiftedBlock kShifted[] = {
    {'A', 'Z', 'a'},       {0xC0, 0xD6, 0xE0},    {0xD8, 0xDE, 0xF8},       {0x391, 0x3A1, 0x3B1},
    {0x3A3, 0x3AB, 0x3C3}, {0x388, 0x38A, 0x3AD}, {0x38E, 0x38F, 0x3CD},    {0x400, 0x40F, 0x450},
    {0x410, 0x42F, 0x430}, {0x531, 0x556, 0x561}, {0xFF21, 0xFF3A, 0xFF41},
};

}  // namespace

char32_t to_lower(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  for (const auto& block : kShifted) {
    if (c >= block.upper_first && c <= block.upper_last)
      return c - block.upper_first + block.lower_first;
  }
  for (const auto& block : kAlternating) {
    if (c >= block.first && c <= block.last && ((c & 1) != 0) == block.odd_upper) return c + 1;
  }
  switch (c) {
    case 0x178:
      return 0xFF;
    case 0x386:
      return 0x3AC;
    case 0x38C:
      return 0x3CC;
    case 0x130:
      return 'i';
    default:
      return c;
  }
}

char32_t to_upper(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  for (const auto& block : kShifted) {
    const char32_t lower_last = block.lower_first + (block.upper_last - block.upper_first);
    if (c >= block.lower_first && c <= lower_last) return c - block.lower_first + block.upper_first;
  }
  for (const auto& block : kAlternating) {
    if (c >= block.first && c <= block.last && ((c & 1) != 0) != block.odd_upper) return c - 1;
  }
  switch (c) {
    case 0xFF:
      return 0x178;
    case 0xB5:
      return 0x39C;
    case 0x3AC:
      return 0x386;
    case 0x3CC:
      return 0x38C;
    case 0x3C2:
      return 0x3A3;
    case 0x131:
      return 'I';
    case 0x17F:
      return 'S';
    default:
      return c;
  }
}

bool is_cased_upper(char32_t c) {
  return to_lower(c) != c;
}

bool is_cased_lower(char32_t c) {
  return to_upper(c) != c || c == 0xDF;
}

bool is_alpha(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (is_cased_upper(c) || is_cased_lower(c)) return true;
  // Uncased scripts, by block (an approximation of Unicode category L*).
  return (c >= 0x5D0 && c <= 0x5EA) || (c >= 0x620 && c <= 0x64A) || (c >= 0x904 && c <= 0x939) ||
         (c >= 0xE01 && c <= 0xE30) || (c >= 0x3041 && c <= 0x30FF) ||
         (c >= 0x3400 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3) ||
         (c >= 0x20000 && c <= 0x2FFFF);
}

bool is_digit(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 0x660 && c <= 0x669) || (c >= 0x6F0 && c <= 0x6F9) ||
         (c >= 0xFF10 && c <= 0xFF19) || c == 0xB2 || c == 0xB3 || c == 0xB9;
}

std::string upper(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const char32_t c = utf8::next(text, pos);
    if (c == 0xDF) {
      out += "SS";  // Python uses the full mapping: 'ß'.upper() == 'SS'
    } else {
      utf8::append(out, to_upper(c));
    }
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const char32_t c = utf8::next(text, pos);
    utf8::append(out, to_lower(c));
    if (c == 0x130) utf8::append(out, 0x307);  // 'İ'.lower() == 'i̇'
  }
  return out;
}

namespace {

bool contains_code_point(std::string_view chars, char32_t c) {
  for (std::size_t pos = 0; pos < chars.size();) {
    if (utf8::next(chars, pos) == c) return true;
  }
  return false;
}

template <typename Predicate>
std::string_view strip_if(std::string_view text, Side side, Predicate&& strip_it) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  if (side != Side::Right) {
    while (begin < end) {
      std::size_t pos = begin;
      if (!strip_it(utf8::next(text, pos))) break;
      begin = pos;
    }
  }
  if (side != Side::Left) {
    while (end > begin) {
      std::size_t start = end - 1;
      while (start > begin && utf8::is_continuation(static_cast<unsigned char>(text[start])))
        --start;
      std::size_t pos = start;
      if (!strip_it(utf8::next(text, pos))) break;
      end = start;
    }
  }
  return text.substr(begin, end - begin);
}

}  // namespace

std::string_view strip(std::string_view text, Side side) {
  return strip_if(text, side, is_space);
}

std::string_view strip(std::string_view text, std::string_view chars, Side side) {
  return strip_if(text, side, [&](char32_t c) { return contains_code_point(chars, c); });
}

std::vector<std::string> split_whitespace(std::string_view text, long max_split, bool from_right) {
  // Words as [begin, end) byte ranges, found left to right.
  std::vector<std::pair<std::size_t, std::size_t>> words;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t start = pos;
    if (is_space(utf8::next(text, pos))) continue;
    std::size_t end = pos;
    while (end < text.size()) {
      std::size_t probe = end;
      if (is_space(utf8::next(text, probe))) break;
      end = probe;
    }
    words.emplace_back(start, end);
    pos = end;
  }
  std::vector<std::string> parts;
  const std::size_t count = words.size();
  if (max_split < 0 || static_cast<std::size_t>(max_split) + 1 >= count) {
    for (const auto& [begin, end] : words) parts.emplace_back(text.substr(begin, end - begin));
    return parts;
  }
  const auto split = static_cast<std::size_t>(max_split);
  // Once max_split is reached, the rest is kept as it is, inner and outer whitespace included.
  if (!from_right) {
    for (std::size_t i = 0; i < split; ++i) {
      parts.emplace_back(text.substr(words[i].first, words[i].second - words[i].first));
    }
    parts.emplace_back(text.substr(words[split].first));
  } else {
    const std::size_t keep = count - split;
    parts.emplace_back(text.substr(0, words[keep - 1].second));
    for (std::size_t i = keep; i < count; ++i) {
      parts.emplace_back(text.substr(words[i].first, words[i].second - words[i].first));
    }
  }
  return parts;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t line_start = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t start = pos;
    const char32_t c = utf8::next(text, pos);
    const bool is_break = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C ||
                          c == 0x1D || c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!is_break) continue;
    lines.emplace_back(text.substr(line_start, start - line_start));
    if (c == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
    line_start = pos;
  }
  if (line_start < text.size()) lines.emplace_back(text.substr(line_start));
  return lines;
}

}  // namespace wizard::jinja::unicode
