#include "wizard/data/files.hpp"

#include <glob.h>

#include <fstream>

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

Dataset read_jsonl(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open the data file");
  Dataset dataset;
  std::string line;
  std::int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    Row row;
    try {
      row = Row::parse(line);
    } catch (const nlohmann::json::parse_error& error) {
      // error.byte is the 1-based offset in the line, i.e. the column.
      throw Error(path.string() + ":" + std::to_string(number) + ":" + std::to_string(error.byte) +
                  ": malformed JSON line: " + error.what() +
                  "\n  each line of a .jsonl file must be one complete JSON object");
    }
    if (!row.is_object()) {
      throw Error(path.string() + ":" + std::to_string(number) +
                  ": each line must be a JSON object with named columns, found " + row.type_name());
    }
    dataset.append(std::move(row), RowOrigin{path.string(), number});
  }
  return dataset;
}

}  // namespace wizard
