// YAML through yaml-cpp. Plain scalars are typed by the YAML 1.2 core schema
// (null, bool, int, float, else string); quoted scalars are always strings.
#include <yaml-cpp/yaml.h>

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <sstream>

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

// Where a second document starts (the first event after the first document), if any.
// Reads at most two documents, so yaml-cpp's endless empty documents cannot hang it.
std::optional<YAML::Mark> second_document(const std::string& text) {
  struct FirstMarks : YAML::EventHandler {
    std::vector<YAML::Mark> starts;
    void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
  } marks;
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  for (int documents = 0; documents < 2 && parser.HandleNextDocument(marks); ++documents) {
  }
  if (marks.starts.size() < 2) return std::nullopt;
  return marks.starts[1];
}

// The byte offset of a yaml-cpp mark (its pos), at most the text's length.
std::size_t offset_of(const std::string& text, const YAML::Mark& mark) {
  if (mark.pos >= 0) return std::min(static_cast<std::size_t>(mark.pos), text.size());
  return text.size();
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
  try {
    // YAML::Load reads the first document only; LoadAll is not used because yaml-cpp 0.7 makes
    // empty documents without end at a stray `,` after a top-level node (`{a: 1},`, `"a" "b",`):
    // found by fuzz_config. Whatever follows the first document is found by second_document.
    const YAML::Node document = YAML::Load(text);
    if (const auto next = second_document(text)) {
      const bool separated = text.compare(offset_of(text, *next), 3, "---") == 0;
      throw ConfigError(
          where(*next, file).str() +
          (separated ? ": the file holds more than one YAML document (separated by ---); a "
                       "config is one document: keep one, or split them into files"
                     : ": YAML syntax error: text after the end of the document; a config is "
                       "a mapping of keys (key: value, one per line, or JSON inside { })"));
    }
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
