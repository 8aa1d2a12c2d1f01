// JSON Lines and JSON documents (Hugging Face datasets' json loader).
#include <string_view>

#include "text_file.hpp"
#include "wizard/base/error.hpp"
#include "wizard/data/files.hpp"

namespace wizard {

namespace fs = std::filesystem;
using data_detail::place;
using data_detail::position_at;
using data_detail::TextPosition;

namespace {

// Rows nest a few levels (messages, tool calls, their arguments). Deeper input is refused while
// it is parsed, before code that walks rows recursively (comparing, dumping, templates) meets it.
constexpr int kMaxRowDepth = 100;

struct TooDeep {};

// Row::parse with the depth limit; throws TooDeep.
Row parse_row(std::string_view text) {
  return Row::parse(text, [](int depth, Row::parse_event_t event, Row&) {
    if (depth >= kMaxRowDepth &&
        (event == Row::parse_event_t::object_start || event == Row::parse_event_t::array_start)) {
      throw TooDeep{};
    }
    return true;
  });
}

std::string too_deep(const std::string& place) {
  return place + ": the row nests JSON deeper than " + std::to_string(kMaxRowDepth) +
         " levels; rows hold text, messages and tool calls, a few levels deep";
}

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// The place of a parse error inside `text` that starts at byte `base` of `whole`.
std::string parse_error_place(const fs::path& file, std::string_view whole, std::size_t base,
                              const nlohmann::json::parse_error& error) {
  // error.byte counts from 1 and points at the character that could not be read.
  const std::size_t offset = base + (error.byte > 0 ? error.byte - 1 : 0);
  return place(file, position_at(whole, offset));
}

// The reason without nlohmann's "[json.exception.parse_error.101] parse error at ...:" prefix.
std::string parse_reason(const nlohmann::json::parse_error& error) {
  const std::string what = error.what();
  const auto colon = what.find(": ", what.find("parse error"));
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

Dataset parse_json_lines(const fs::path& file, const std::string& text) {
  Dataset dataset;
  std::size_t start = 0;
  std::int64_t number = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++number;
    std::string_view line(text.data() + start, end - start);
    if (!is_blank(line)) {
      Row row;
      try {
        row = parse_row(line);
      } catch (const TooDeep&) {
        throw Error(too_deep(place(file, TextPosition{number, 1})));
      } catch (const nlohmann::json::parse_error& error) {
        throw Error(parse_error_place(file, text, start, error) + ": malformed JSON line: " +
                    parse_reason(error) + "\n  each line must be one complete JSON object");
      }
      if (!row.is_object()) {
        throw Error(place(file, TextPosition{number, 1}) +
                    ": each line must be a JSON object with named columns, found " +
                    row.type_name());
      }
      dataset.append(std::move(row), RowOrigin{file.string(), number});
    }
    start = end + 1;
  }
  return dataset;
}

// The line on which each element of the top-level array starts. The document
// has already been parsed, so it is well-formed.
std::vector<std::int64_t> array_element_lines(std::string_view text) {
  std::vector<std::int64_t> lines;
  std::int64_t line = 1;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  bool expecting_element = false;
  for (const char c : text) {
    if (c == '\n') ++line;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (depth == 1 && expecting_element && c != ']') {
      lines.push_back(line);
      expecting_element = false;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth == 1) expecting_element = true;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 1) {
      expecting_element = true;
    }
  }
  return lines;
}

Row parse_document(const fs::path& file, const std::string& text) {
  try {
    return parse_row(text);
  } catch (const TooDeep&) {
    throw Error(too_deep(file.string()));
  } catch (const nlohmann::json::parse_error& error) {
    throw Error(parse_error_place(file, text, 0, error) +
                ": malformed JSON: " + parse_reason(error));
  }
}

Dataset rows_from_array(const fs::path& file, const Row& array,
                        const std::vector<std::int64_t>& lines, const std::string& what) {
  Dataset dataset;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const std::int64_t line = i < lines.size() ? lines[i] : 0;
    if (!array[i].is_object()) {
      throw Error(file.string() + (line ? ":" + std::to_string(line) : "") + ": element " +
                  std::to_string(i) + " of " + what + " is " + array[i].type_name() +
                  ", but each row must be a JSON object with named columns");
    }
    dataset.append(array[i], RowOrigin{file.string(), line});
  }
  return dataset;
}

// {"a": [1, 2], "b": [3, 4]} -> rows {"a": 1, "b": 3}, {"a": 2, "b": 4} (HF's from_dict).
Dataset rows_from_columns(const fs::path& file, const Row& columns, const std::string& field) {
  std::size_t count = 0;
  bool first = true;
  for (const auto& column : columns.items()) {
    if (!column.value().is_array() || (!first && column.value().size() != count)) {
      throw Error(file.string() + ": '" + field +
                  "' holds an object, so each of its members must be " +
                  "a column array of the same length; '" + column.key() + "' is not");
    }
    count = column.value().size();
    first = false;
  }
  Dataset dataset;
  for (std::size_t i = 0; i < count; ++i) {
    Row row = Row::object();
    for (const auto& column : columns.items()) row[column.key()] = column.value()[i];
    dataset.append(std::move(row), RowOrigin{file.string(), 0});
  }
  return dataset;
}

Dataset read_field(const fs::path& file, const std::string& text, const std::string& field) {
  const Row document = parse_document(file, text);
  if (!document.is_object() || !document.contains(field)) {
    throw Error(file.string() + ": load_dataset_kwargs.field is '" + field +
                "', but the file is not a JSON object with that key");
  }
  const Row& rows = document[field];
  if (rows.is_array()) return rows_from_array(file, rows, {}, "'" + field + "'");
  if (rows.is_object()) return rows_from_columns(file, rows, field);
  throw Error(file.string() + ": '" + field +
              "' must hold an array of row objects or an object of " + "column arrays, found " +
              rows.type_name());
}

}  // namespace

Dataset read_jsonl(const fs::path& path) {
  return parse_json_lines(path, data_detail::read_text_file(path));
}

Dataset read_json(const fs::path& path, const std::string& field) {
  const std::string text = data_detail::read_text_file(path);
  if (!field.empty()) return read_field(path, text, field);
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '[') {
    return rows_from_array(path, parse_document(path, text), array_element_lines(text),
                           "the array");
  }
  try {
    return parse_json_lines(path, text);
  } catch (const Error&) {
    // One object written over several lines: say how to read it rather than
    // pointing at its first line break.
    if (Row::accept(text) && Row::parse(text).is_object()) {
      throw Error(path.string() +
                  ": the file holds one JSON object, not rows; write an array of objects or JSON "
                  "Lines, or name the key that holds the rows with load_dataset_kwargs.field");
    }
    throw;
  }
}

}  // namespace wizard
