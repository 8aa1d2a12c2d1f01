// JSON with source positions. nlohmann/json reports no positions for values,
// so the structure is scanned here and scalars are decoded by nlohmann.
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdint>

#include "config_files.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"

namespace wizard::core {

namespace {

class JsonScanner {
 public:
  JsonScanner(const std::string& text, const std::string& file) : text_(text), file_(file) {}

  ConfigValue document() {
    ConfigValue value = parse_value();
    skip_space();
    if (pos_ < text_.size()) fail("unexpected text after the JSON document");
    return value;
  }

 private:
  SourceLocation here() const { return SourceLocation{file_, line_, column_}; }

  [[noreturn]] void fail(const std::string& message) const {
    throw ConfigError(here().str() + ": JSON syntax error: " + message);
  }

  void advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) advance();
  }

  void expect(char c) {
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != c) fail(std::string("expected '") + c + "'");
    advance();
  }

  ConfigValue parse_value() {
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end of file");
    const SourceLocation at = here();
    const char c = text_[pos_];
    if (c == '{' || c == '[') {
      // The scanner recurses per level: bound it before the stack runs out.
      if (depth_ >= kMaxDepth) {
        fail("the document nests deeper than " + std::to_string(kMaxDepth) +
             " levels; a config has a few");
      }
      ++depth_;
      ConfigValue value = c == '{' ? parse_object(at) : parse_array(at);
      --depth_;
      return value;
    }
    if (c == '"') return ConfigValue::string(parse_string(), at);
    if (text_.compare(pos_, 4, "true") == 0) return literal(4, ConfigValue::boolean(true, at));
    if (text_.compare(pos_, 5, "false") == 0) return literal(5, ConfigValue::boolean(false, at));
    if (text_.compare(pos_, 4, "null") == 0) return literal(4, ConfigValue::null(at));
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return parse_number(at);
    fail(std::string("unexpected character '") + c + "'");
  }

  ConfigValue literal(std::size_t length, ConfigValue value) {
    for (std::size_t i = 0; i < length; ++i) advance();
    return value;
  }

  std::string parse_string() {
    const std::size_t begin = pos_;
    advance();  // opening quote
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\') advance();
      if (pos_ < text_.size()) advance();
    }
    if (pos_ >= text_.size()) fail("unterminated string");
    advance();  // closing quote
    try {
      return nlohmann::json::parse(text_.substr(begin, pos_ - begin)).get<std::string>();
    } catch (const nlohmann::json::exception& error) {
      // The reason's own "line 1, column 5" counts inside the string: drop it.
      std::string reason = json_error_reason(error);
      if (reason.rfind("line ", 0) == 0 && reason.find(": ") != std::string::npos) {
        reason.erase(0, reason.find(": ") + 2);
      }
      fail("bad string: " + reason);
    }
  }

  ConfigValue parse_number(const SourceLocation& at) {
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) ||
                                   std::string("+-.eE").find(text_[pos_]) != std::string::npos)) {
      advance();
    }
    const std::string token = text_.substr(begin, pos_ - begin);
    nlohmann::json number;
    try {
      number = nlohmann::json::parse(token);
    } catch (const nlohmann::json::exception&) {
      throw ConfigError(at.str() + ": JSON syntax error: bad number '" + token + "'");
    }
    if (number.is_number_unsigned() &&
        number.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      throw ConfigError(at.str() + ": the integer " + token + " is out of range (at most " +
                        std::to_string(INT64_MAX) + ")");
    }
    if (number.is_number_integer()) return ConfigValue::integer(number.get<std::int64_t>(), at);
    return ConfigValue::floating(number.get<double>(), at);
  }

  ConfigValue parse_array(const SourceLocation& at) {
    advance();
    ConfigValue::Array items;
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      advance();
      return ConfigValue::array(std::move(items), at);
    }
    while (true) {
      items.push_back(parse_value());
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        advance();
        continue;
      }
      expect(']');
      return ConfigValue::array(std::move(items), at);
    }
  }

  ConfigValue parse_object(const SourceLocation& at) {
    advance();
    ConfigValue table = ConfigValue::table({}, at);
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      advance();
      return table;
    }
    while (true) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a quoted key");
      const SourceLocation key_at = here();
      const std::string key = parse_string();
      if (table.find(key)) {
        throw ConfigError(key_at.str() + ": JSON error: the key '" + key + "' appears twice");
      }
      expect(':');
      table.set(key, parse_value());
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        advance();
        continue;
      }
      expect('}');
      return table;
    }
  }

  static constexpr int kMaxDepth = 128;

  const std::string& text_;
  const std::string& file_;
  int depth_ = 0;
  std::size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace

ConfigValue read_json(const std::string& text, const std::string& file) {
  ConfigValue root = JsonScanner(text, file).document();
  root.set_location(SourceLocation{file, 0, 0});
  return root;
}

}  // namespace wizard::core
