#include "wizard/data/files.hpp"

#include <glob.h>

#include <cctype>

#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"

namespace wizard {

namespace fs = std::filesystem;

namespace {

bool has_glob_chars(const std::string& pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

std::vector<fs::path> expand(const fs::path& pattern) {
  std::vector<fs::path> out;
  if (!has_glob_chars(pattern.string())) {
    if (fs::is_regular_file(pattern)) out.push_back(pattern);
    return out;
  }
  glob_t matches{};
  if (glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
      if (fs::is_regular_file(matches.gl_pathv[i])) out.emplace_back(matches.gl_pathv[i]);
    }
  }
  globfree(&matches);
  return out;  // glob() sorts its results
}

std::string lower_extension(const fs::path& file) {
  std::string extension = file.extension().string();
  for (auto& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension;
}

}  // namespace

std::vector<fs::path> resolve_data_files(const Config& config, const std::string& key) {
  const ConfigValue* value = config.find(key);
  if (!value) config.fail("", "the required key '" + key + "' is missing: name the data file(s)");
  std::vector<std::string> entries;
  if (value->is(ConfigValue::Kind::String)) {
    entries.push_back(value->as_string());
  } else {
    entries = config.require<std::vector<std::string>>(key);
  }
  if (entries.empty()) config.fail(key, "is empty: name at least one data file");

  const fs::path config_dir = fs::path(config.location().file).parent_path();
  std::vector<fs::path> files;
  for (const auto& entry : entries) {
    const fs::path pattern(entry);
    std::vector<fs::path> found = expand(pattern);
    std::vector<std::string> tried{fs::absolute(pattern).string()};
    if (found.empty() && pattern.is_relative() && !config_dir.empty()) {
      found = expand(config_dir / pattern);
      tried.push_back(fs::absolute(config_dir / pattern).string());
      if (!found.empty()) {
        wizard::logger()->info("{}: '{}' found relative to the config file's folder",
                               config.key_path(key), entry);
      }
    }
    if (found.empty()) {
      std::string message = "'" + entry + "' matches no file; looked for";
      for (const auto& path : tried) message += "\n  " + path;
      message +=
          "\nrelative paths are read from the working folder, then from the config file's folder";
      config.fail(key, message);
    }
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

const char* format_name(FileFormat format) {
  switch (format) {
    case FileFormat::JsonLines:
      return "jsonl";
    case FileFormat::Json:
      return "json";
    case FileFormat::Csv:
      return "csv";
    case FileFormat::Text:
      return "text";
  }
  return "?";
}

std::optional<FileFormat> format_for_extension(const fs::path& file) {
  const std::string extension = lower_extension(file);
  if (extension == ".jsonl" || extension == ".json") return FileFormat::Json;
  if (extension == ".csv" || extension == ".tsv") return FileFormat::Csv;
  if (extension == ".txt") return FileFormat::Text;
  return std::nullopt;
}

Dataset read_data_file(const fs::path& path, FileFormat format, const FileReadOptions& options) {
  switch (format) {
    case FileFormat::JsonLines:
      return read_jsonl(path);
    case FileFormat::Json:
      return read_json(path, options.json_field);
    case FileFormat::Csv:
      return read_csv(path,
                      options.csv_delimiter.value_or(lower_extension(path) == ".tsv" ? '\t' : ','));
    case FileFormat::Text:
      return read_text(path);
  }
  throw Error(path.string() + ": unknown file format");
}

}  // namespace wizard
