// YAML through yaml-cpp. Plain scalars are typed by the YAML 1.2 core schema
// (null, bool, int, float, else string); quoted scalars are always strings.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <regex>

#include "config_files.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"

namespace wizard::core {

namespace {

SourceLocation where(const YAML::Mark& mark, const std::string& file) {
  if (mark.is_null()) return SourceLocation{file, 0, 0};
  return SourceLocation{file, mark.line + 1, mark.column + 1};
}

ConfigValue scalar(const YAML::Node& node, const SourceLocation& at) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return ConfigValue::string(text, at);  // quoted
  static const std::regex null_re("~|null|Null|NULL|");
  static const std::regex true_re("true|True|TRUE");
  static const std::regex false_re("false|False|FALSE");
  static const std::regex int_re("[-+]?[0-9]+");
  static const std::regex float_re(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(text, null_re)) return ConfigValue::null(at);
  if (std::regex_match(text, true_re)) return ConfigValue::boolean(true, at);
  if (std::regex_match(text, false_re)) return ConfigValue::boolean(false, at);
  try {
    if (std::regex_match(text, int_re)) return ConfigValue::integer(std::stoll(text), at);
    if (std::regex_match(text, float_re)) return ConfigValue::floating(std::stod(text), at);
  } catch (const std::out_of_range&) {
    throw ConfigError(at.str() + ": the number " + text + " is out of range");
  }
  if (text == ".inf" || text == "+.inf") return ConfigValue::floating(HUGE_VAL, at);
  if (text == "-.inf") return ConfigValue::floating(-HUGE_VAL, at);
  if (text == ".nan") return ConfigValue::floating(std::nan(""), at);
  return ConfigValue::string(text, at);
}

ConfigValue convert(const YAML::Node& node, const std::string& file) {
  const SourceLocation at = where(node.Mark(), file);
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return ConfigValue::null(at);
    case YAML::NodeType::Scalar:
      return scalar(node, at);
    case YAML::NodeType::Sequence: {
      ConfigValue::Array items;
      for (const auto& item : node) items.push_back(convert(item, file));
      return ConfigValue::array(std::move(items), at);
    }
    case YAML::NodeType::Map: {
      ConfigValue table = ConfigValue::table({}, at);
      for (const auto& entry : node) {
        const std::string key = entry.first.as<std::string>();
        if (table.find(key)) {
          throw ConfigError(where(entry.first.Mark(), file).str() + ": YAML error: the key '" +
                            key + "' appears twice");
        }
        table.set(key, convert(entry.second, file));
      }
      return table;
    }
  }
  return ConfigValue::null(at);
}

// yaml-cpp 0.7 (Debian 12) allocates without end on a document whose first node is a quoted
// scalar followed by a comma (`"a", "b": 1`: JSON-like text missing its braces); found by
// fuzz_config. Such a document is not a mapping anyway: refused before yaml-cpp sees it.
// Returns the 1-based line of the comma, or 0.
int comma_after_leading_quoted_scalar(const std::string& text) {
  std::size_t i = 0;
  int line = 1;
  while (i < text.size()) {  // blank lines and comments
    const char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (c == '\n') ++line;
      ++i;
    } else {
      break;
    }
  }
  if (i >= text.size() || (text[i] != '"' && text[i] != '\'')) return 0;
  const char quote = text[i++];
  while (i < text.size()) {  // the quoted scalar: \x escapes in "...", '' in '...'
    const char c = text[i++];
    if (c == '\n') ++line;
    if (quote == '"' && c == '\\') {
      ++i;
    } else if (c == quote) {
      if (quote == '\'' && i < text.size() && text[i] == '\'') {
        ++i;
      } else {
        break;
      }
    }
  }
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  return i < text.size() && text[i] == ',' ? line : 0;
}

}  // namespace

ConfigValue read_yaml(const std::string& text, const std::string& file) {
  // yaml-cpp takes any bytes; TOML and JSON readers refuse invalid UTF-8, so does this one.
  if (const auto place = first_invalid_utf8(text)) {
    throw ConfigError(file + ":" + std::to_string(place->line) + ":" +
                      std::to_string(place->column) +
                      ": the file is not valid UTF-8 here; save it as UTF-8 text");
  }
  // YAML allows no control characters but tab and line breaks (c-printable); yaml-cpp reads a
  // NUL into a key as a byte that is not UTF-8. Found by fuzz_config.
  const auto control = std::find_if(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') || byte == 0x7f;
  });
  if (control != text.end()) {
    const std::string before(text.begin(), control);
    const auto place = first_invalid_utf8(before + '\xff');  // the place of the character
    throw ConfigError(
        file + ":" + std::to_string(place->line) + ":" + std::to_string(place->column) +
        ": YAML files cannot hold the control "
        "character " +
        std::to_string(static_cast<unsigned char>(*control)) + " (decimal); remove it");
  }
  if (const int line = comma_after_leading_quoted_scalar(text)) {
    throw ConfigError(file + ":" + std::to_string(line) +
                      ": YAML syntax error: a comma after the document's first value; a config is "
                      "a mapping of keys (key: value, one per line, or JSON inside { })");
  }
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(text);
    if (documents.size() > 1) {
      throw ConfigError(where(documents[1].Mark(), file).str() + ": the file holds " +
                        std::to_string(documents.size()) +
                        " YAML documents (separated by ---); a config is one document: keep one, "
                        "or split them into files");
    }
    const YAML::Node document = documents.empty() ? YAML::Node() : documents.front();
    if (!document.IsMap()) {
      throw ConfigError(file + ": the YAML document must be a mapping of keys at the top level");
    }
    ConfigValue root = convert(document, file);
    root.set_location(SourceLocation{file, 0, 0});
    return root;
  } catch (const YAML::Exception& error) {
    throw ConfigError(where(error.mark, file).str() + ": YAML syntax error: " + error.msg);
  }
}

}  // namespace wizard::core
