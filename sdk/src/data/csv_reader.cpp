// CSV files (RFC 4180) with a header row, typed per column as pandas would.
#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "text_file.hpp"
#include "wizard/base/error.hpp"
#include "wizard/data/files.hpp"

namespace wizard {

namespace fs = std::filesystem;
using data_detail::place;
using data_detail::position_at;

namespace {

struct Record {
  std::vector<std::string> fields;
  std::vector<std::size_t> field_offsets;  // byte offset where each field starts
  std::int64_t line = 0;                   // where the record starts
  std::size_t end_offset = 0;              // byte offset of the record's line break
};

class CsvParser {
 public:
  CsvParser(const fs::path& file, const std::string& text, char delimiter)
      : file_(file), text_(text), delimiter_(delimiter) {}

  // The next record, or false at the end of the text. Blank lines are skipped.
  bool next(Record& record) {
    while (offset_ < text_.size()) {
      record = Record{};
      record.line = line_;
      read_record(record);
      const bool blank =
          record.fields.size() == 1 && record.fields[0].empty() && !quoted_last_field_;
      if (!blank) return true;
    }
    return false;
  }

 private:
  void read_record(Record& record) {
    while (true) {
      record.field_offsets.push_back(offset_);
      record.fields.push_back(read_field());
      if (offset_ >= text_.size()) {
        record.end_offset = offset_;
        return;
      }
      const char c = text_[offset_];
      if (c == delimiter_) {
        ++offset_;
        continue;
      }
      // A line break ends the record ("\r\n" or "\n").
      record.end_offset = offset_;
      if (c == '\r') ++offset_;
      if (offset_ < text_.size() && text_[offset_] == '\n') ++offset_;
      ++line_;
      return;
    }
  }

  std::string read_field() {
    quoted_last_field_ = offset_ < text_.size() && text_[offset_] == '"';
    return quoted_last_field_ ? read_quoted() : read_plain();
  }

  std::string read_plain() {
    const std::size_t start = offset_;
    while (offset_ < text_.size()) {
      const char c = text_[offset_];
      if (c == delimiter_ || c == '\n' ||
          (c == '\r' && offset_ + 1 < text_.size() && text_[offset_ + 1] == '\n') ||
          (c == '\r' && offset_ + 1 == text_.size())) {
        break;
      }
      ++offset_;
    }
    return text_.substr(start, offset_ - start);
  }

  std::string read_quoted() {
    const std::size_t opening = offset_++;
    std::string value;
    while (true) {
      if (offset_ >= text_.size()) {
        throw Error(place(file_, position_at(text_, opening)) +
                    ": this quoted field is never closed; close it with \" (write \"\" for a "
                    "quote inside a quoted field)");
      }
      const char c = text_[offset_++];
      if (c == '\n') ++line_;
      if (c != '"') {
        value += c;
      } else if (offset_ < text_.size() && text_[offset_] == '"') {
        value += '"';
        ++offset_;
      } else {
        break;
      }
    }
    if (offset_ < text_.size()) {
      const char c = text_[offset_];
      if (c != delimiter_ && c != '\n' && c != '\r') {
        throw Error(place(file_, position_at(text_, offset_)) +
                    ": unexpected text after the closing quote of a field; a quoted field must "
                    "end at a separator or line break (write \"\" for a quote inside it)");
      }
    }
    return value;
  }

  const fs::path& file_;
  const std::string& text_;
  char delimiter_;
  std::size_t offset_ = 0;
  std::int64_t line_ = 1;
  bool quoted_last_field_ = false;
};

enum class ColumnType { Integer, Float, Boolean, String };

bool parse_integer(const std::string& cell, std::int64_t& value) {
  std::size_t i = (cell[0] == '+' || cell[0] == '-') ? 1 : 0;
  if (i == cell.size()) return false;
  for (std::size_t j = i; j < cell.size(); ++j) {
    if (cell[j] < '0' || cell[j] > '9') return false;
  }
  errno = 0;
  char* end = nullptr;
  value = std::strtoll(cell.c_str(), &end, 10);
  return errno == 0;
}

// Decimal numbers as Python's float() reads them, without inf/nan or spaces.
bool parse_float(const std::string& cell, double& value) {
  std::size_t i = (cell[0] == '+' || cell[0] == '-') ? 1 : 0;
  bool digits = false;
  while (i < cell.size() && cell[i] >= '0' && cell[i] <= '9') ++i, digits = true;
  if (i < cell.size() && cell[i] == '.') {
    ++i;
    while (i < cell.size() && cell[i] >= '0' && cell[i] <= '9') ++i, digits = true;
  }
  if (!digits) return false;
  if (i < cell.size() && (cell[i] == 'e' || cell[i] == 'E')) {
    ++i;
    if (i < cell.size() && (cell[i] == '+' || cell[i] == '-')) ++i;
    const std::size_t exponent_start = i;
    while (i < cell.size() && cell[i] >= '0' && cell[i] <= '9') ++i;
    if (i == exponent_start) return false;
  }
  if (i != cell.size()) return false;
  value = std::strtod(cell.c_str(), nullptr);
  return true;
}

bool parse_boolean(const std::string& cell, bool& value) {
  if (cell == "True" || cell == "TRUE" || cell == "true") return value = true, true;
  if (cell == "False" || cell == "FALSE" || cell == "false") return value = false, true;
  return false;
}

// The narrowest type every non-empty cell of the column fits.
ColumnType infer_type(const std::vector<Record>& records, std::size_t column) {
  bool integer = true, number = true, boolean = true;
  std::int64_t i = 0;
  double d = 0;
  bool b = false;
  for (const auto& record : records) {
    const std::string& cell = record.fields[column];
    if (cell.empty()) continue;
    integer = integer && parse_integer(cell, i);
    number = number && parse_float(cell, d);
    boolean = boolean && parse_boolean(cell, b);
    if (!integer && !number && !boolean) return ColumnType::String;
  }
  if (integer) return ColumnType::Integer;
  if (number) return ColumnType::Float;
  if (boolean) return ColumnType::Boolean;
  return ColumnType::String;
}

Row typed_cell(const std::string& cell, ColumnType type) {
  if (cell.empty()) return nullptr;
  std::int64_t i = 0;
  double d = 0;
  bool b = false;
  switch (type) {
    case ColumnType::Integer:
      parse_integer(cell, i);
      return i;
    case ColumnType::Float:
      parse_float(cell, d);
      return d;
    case ColumnType::Boolean:
      parse_boolean(cell, b);
      return b;
    case ColumnType::String:
      break;
  }
  return cell;
}

std::vector<std::string> header_names(const fs::path& file, const std::string& text,
                                      const Record& header) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    // pandas names an empty header cell "Unnamed: <position>" (an index column written by to_csv).
    std::string name =
        header.fields[i].empty() ? "Unnamed: " + std::to_string(i) : header.fields[i];
    for (const auto& earlier : names) {
      if (earlier == name) {
        throw Error(place(file, position_at(text, header.field_offsets[i])) + ": column '" + name +
                    "' appears twice in the header row; give each column its own name");
      }
    }
    names.push_back(std::move(name));
  }
  return names;
}

void check_width(const fs::path& file, const std::string& text, const Record& record,
                 std::size_t width) {
  if (record.fields.size() == width) return;
  const std::size_t offset =
      record.fields.size() > width ? record.field_offsets[width] : record.end_offset;
  throw Error(place(file, position_at(text, offset)) + ": this row has " +
              std::to_string(record.fields.size()) + " fields but the header has " +
              std::to_string(width) +
              "; quote fields that contain the separator or line breaks (\"a, b\")");
}

}  // namespace

Dataset read_csv(const fs::path& path, char delimiter) {
  const std::string text = data_detail::read_text_file(path);
  CsvParser parser(path, text, delimiter);
  Record header;
  if (!parser.next(header)) return Dataset{};
  const std::vector<std::string> names = header_names(path, text, header);

  std::vector<Record> records;
  Record record;
  while (parser.next(record)) {
    check_width(path, text, record, names.size());
    records.push_back(std::move(record));
  }
  std::vector<ColumnType> types;
  for (std::size_t column = 0; column < names.size(); ++column) {
    types.push_back(infer_type(records, column));
  }
  Dataset dataset;
  for (const auto& r : records) {
    Row row = Row::object();
    for (std::size_t column = 0; column < names.size(); ++column) {
      row[names[column]] = typed_cell(r.fields[column], types[column]);
    }
    dataset.append(std::move(row), RowOrigin{path.string(), r.line});
  }
  return dataset;
}

}  // namespace wizard
