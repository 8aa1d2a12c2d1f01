#include "text_file.hpp"

#include <fstream>
#include <sstream>

#include "base/utf8.hpp"
#include "wizard/base/error.hpp"

namespace wizard::data_detail {

TextPosition position_at(std::string_view text, std::size_t offset) {
  TextPosition position;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++position.line;
      line_start = i + 1;
    }
  }
  const std::size_t end = offset < text.size() ? offset : text.size();
  position.column =
      static_cast<std::int64_t>(utf8::count(text.substr(line_start, end - line_start))) + 1;
  return position;
}

std::string place(const std::filesystem::path& file, TextPosition position) {
  return file.string() + ":" + std::to_string(position.line) + ":" +
         std::to_string(position.column);
}

std::string read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot open the data file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
  const std::size_t invalid = utf8::find_invalid(text);
  if (invalid != std::string::npos) {
    throw Error(place(file, position_at(text, invalid)) +
                ": the file is not valid UTF-8 here; save it as UTF-8 text");
  }
  return text;
}

}  // namespace wizard::data_detail
