// Plain text files: one row per line (Hugging Face datasets' text loader).
#include "text_file.hpp"
#include "wizard/data/files.hpp"

namespace wizard {

Dataset read_text(const std::filesystem::path& path) {
  const std::string text = data_detail::read_text_file(path);
  Dataset dataset;
  std::size_t start = 0;
  std::int64_t line = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::size_t content_end = end;
    if (content_end > start && text[content_end - 1] == '\r') --content_end;
    Row row = Row::object();
    row["text"] = text.substr(start, content_end - start);
    dataset.append(std::move(row), RowOrigin{path.string(), ++line});
    start = end + 1;
  }
  return dataset;
}

}  // namespace wizard
