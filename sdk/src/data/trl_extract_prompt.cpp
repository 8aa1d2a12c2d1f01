// TRL's is_conversational, extract_prompt and maybe_extract_prompt (data_utils.py).
#include <vector>

#include "base/utf8.hpp"
#include "wizard/data/trl_preference.hpp"

namespace wizard {

RejectedPreferenceRow::RejectedPreferenceRow(const std::string& message) : Error(message) {}
RejectedPreferenceRow::~RejectedPreferenceRow() = default;

namespace {

// Python's ==: objects compare without regard to key order, 1 == 1.0.
bool python_equal(const Row& a, const Row& b) {
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& item : a.items()) {
      const auto other = b.find(item.key());
      if (other == b.end() || !python_equal(item.value(), *other)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!python_equal(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

// Python's index into a sequence of length n (negative counts from the end).
std::size_t python_index(std::ptrdiff_t index, std::size_t n) {
  if (index < 0) index += static_cast<std::ptrdiff_t>(n);
  if (index < 0) return 0;
  return static_cast<std::size_t>(index) > n ? n : static_cast<std::size_t>(index);
}

// TRL's loop: the first position where the sequences differ, one earlier when
// chosen has a space just before it; without a difference, the last shared
// position (a quirk of Python's for loop that TRL inherits).
template <class Element, class IsSpace>
std::ptrdiff_t split_index(const std::vector<Element>& chosen, const std::vector<Element>& rejected,
                           const IsSpace& is_space, bool (*equal)(const Element&, const Element&)) {
  const std::size_t n = std::min(chosen.size(), rejected.size());
  if (n == 0) {
    throw RejectedPreferenceRow(
        "chosen or rejected is empty, so no prompt can be extracted from them (TRL fails on such "
        "rows too)");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!equal(chosen[i], rejected[i])) {
      const auto previous = python_index(static_cast<std::ptrdiff_t>(i) - 1, chosen.size());
      const bool space_before = previous < chosen.size() && is_space(chosen[previous]);
      return static_cast<std::ptrdiff_t>(i) - (space_before ? 1 : 0);
    }
  }
  return static_cast<std::ptrdiff_t>(n) - 1;
}

std::vector<std::uint32_t> code_points(const std::string& text) {
  std::vector<std::uint32_t> out;
  for (std::size_t offset = 0; offset < text.size();) out.push_back(utf8::next(text, offset));
  return out;
}

void extract_from_strings(Row& row) {
  const std::string chosen = row["chosen"].get<std::string>();
  const std::string rejected = row["rejected"].get<std::string>();
  const auto chosen_points = code_points(chosen);
  const auto rejected_points = code_points(rejected);
  const std::ptrdiff_t index = split_index<std::uint32_t>(
      chosen_points, rejected_points, [](std::uint32_t c) { return c == ' '; },
      [](const std::uint32_t& a, const std::uint32_t& b) { return a == b; });
  // Character index -> byte offset, separately for each string (Python slices each).
  const auto byte_offset = [](const std::string& text, std::ptrdiff_t characters) {
    const auto bounds = utf8::boundaries(text);  // each character's offset, then the end
    return bounds[python_index(characters, bounds.size() - 1)];
  };
  const std::size_t chosen_cut = byte_offset(chosen, index);
  const std::size_t rejected_cut = byte_offset(rejected, index);
  row["prompt"] = chosen.substr(0, chosen_cut);
  row["chosen"] = chosen.substr(chosen_cut);
  row["rejected"] = rejected.substr(rejected_cut);
}

void extract_from_messages(Row& row) {
  const std::vector<Row> chosen = row["chosen"].get<std::vector<Row>>();
  const std::vector<Row> rejected = row["rejected"].get<std::vector<Row>>();
  const std::ptrdiff_t index = split_index<Row>(
      chosen, rejected, [](const Row& m) { return m.is_string() && m.get<std::string>() == " "; },
      [](const Row& a, const Row& b) { return python_equal(a, b); });
  const std::size_t chosen_cut = python_index(index, chosen.size());
  const std::size_t rejected_cut = python_index(index, rejected.size());
  row["prompt"] = Row(std::vector<Row>(chosen.begin(), chosen.begin() + chosen_cut));
  row["chosen"] = Row(std::vector<Row>(chosen.begin() + chosen_cut, chosen.end()));
  row["rejected"] = Row(std::vector<Row>(rejected.begin() + rejected_cut, rejected.end()));
}

}  // namespace

bool is_conversational(const Row& value) {
  return value.is_array() && !value.empty() && value[0].is_object() && value[0].contains("role");
}

Row maybe_extract_prompt(const Row& row) {
  if (!row.is_object() || !row.contains("chosen") || !row.contains("rejected")) {
    throw Error("a preference row needs 'chosen' and 'rejected' columns (and optionally 'prompt')");
  }
  const bool chosen_conversational = is_conversational(row["chosen"]);
  if (row.contains("prompt") && is_conversational(row["prompt"]) == chosen_conversational) {
    return row;
  }
  Row out = row;
  const Row& chosen = row["chosen"];
  const Row& rejected = row["rejected"];
  if (chosen.is_string() && rejected.is_string()) {
    extract_from_strings(out);
  } else if (chosen.is_array() && rejected.is_array()) {
    extract_from_messages(out);
  } else {
    throw Error(
        "'chosen' and 'rejected' must both be strings or both be lists of messages, but "
        "they are " +
        std::string(chosen.type_name()) + " and " + rejected.type_name());
  }
  return out;
}

}  // namespace wizard
