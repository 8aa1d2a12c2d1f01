#include "chat/jinja_lexer.hpp"

#include "base/utf8.hpp"
#include "chat/jinja_unicode.hpp"
#include "chat/jinja_value.hpp"

namespace wizard::jinja {

std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

namespace {

[[noreturn]] void fail_at(std::size_t offset, std::string message) {
  Fault fault(std::move(message));
  fault.set_offset(offset);
  throw fault;
}

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Python's unicode-escape decoding of a string literal's body.
std::string unescape(std::string_view body, std::size_t offset) {
  std::string out;
  out.reserve(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 == body.size()) {
      out += body[i];
      continue;
    }
    const char c = body[++i];
    switch (c) {
      case '\n':
        break;  // line continuation
      case '\\':
        out += '\\';
        break;
      case '\'':
        out += '\'';
        break;
      case '"':
        out += '"';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        const std::size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        char32_t code_point = 0;
        for (std::size_t k = 1; k <= digits; ++k) {
          const int v = i + k < body.size() ? hex_value(body[i + k]) : -1;
          if (v < 0)
            fail_at(offset, std::string("truncated \\") + c + " escape in a string literal");
          code_point = code_point * 16 + static_cast<char32_t>(v);
        }
        if (code_point > 0x10FFFF) fail_at(offset, "illegal Unicode character in a string literal");
        utf8::append(out, code_point);
        i += digits;
        break;
      }
      case 'N':
        fail_at(
            offset,
            "\\N{...} escapes in string literals are not supported; write the character itself");
      default:
        if (c >= '0' && c <= '7') {
          char32_t code_point = 0;
          std::size_t k = 0;
          while (k < 3 && i + k < body.size() && body[i + k] >= '0' && body[i + k] <= '7') {
            code_point = code_point * 8 + static_cast<char32_t>(body[i + k] - '0');
            ++k;
          }
          utf8::append(out, code_point);
          i += k - 1;
        } else {
          out += '\\';  // Python keeps unknown escapes as written
          out += c;
        }
    }
  }
  return out;
}

// Length of `(\d+_)*\d+` at `p`, 0 if no digit there.
std::size_t match_digits(const std::string& s, std::size_t p) {
  std::size_t q = p;
  while (q < s.size() && is_digit(s[q])) {
    while (q < s.size() && is_digit(s[q])) ++q;
    if (q + 1 < s.size() && s[q] == '_' && is_digit(s[q + 1])) ++q;
  }
  return q - p;
}

// Length of a float literal at `pos` (Jinja's float_re), 0 if none.
std::size_t match_float(const std::string& s, std::size_t pos) {
  if (pos > 0 && s[pos - 1] == '.') return 0;  // `x.0.1` is attribute access, not a float
  const std::size_t whole = match_digits(s, pos);
  if (whole == 0) return 0;
  std::size_t p = pos + whole;
  bool fraction = false;
  if (p + 1 < s.size() && s[p] == '.' && is_digit(s[p + 1])) {
    p += 1 + match_digits(s, p + 1);
    fraction = true;
  }
  if (p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
    std::size_t q = p + 1;
    if (q < s.size() && (s[q] == '+' || s[q] == '-')) ++q;
    const std::size_t exponent = match_digits(s, q);
    if (exponent > 0) return q + exponent - pos;
  }
  return fraction ? p - pos : 0;
}

// Length of an integer literal at `pos` (Jinja's integer_re), 0 if none.
std::size_t match_integer(const std::string& s, std::size_t pos) {
  const auto run = [&](std::size_t p, auto&& is_valid) {
    // (_?[valid])+
    std::size_t q = p;
    while (q < s.size()) {
      if (is_valid(s[q])) {
        ++q;
      } else if (s[q] == '_' && q + 1 < s.size() && is_valid(s[q + 1])) {
        q += 2;
      } else {
        break;
      }
    }
    return q - p;
  };
  if (s[pos] == '0' && pos + 1 < s.size()) {
    const char base = static_cast<char>(s[pos + 1] | 0x20);
    std::size_t n = 0;
    if (base == 'b') n = run(pos + 2, [](char c) { return c == '0' || c == '1'; });
    if (base == 'o') n = run(pos + 2, [](char c) { return c >= '0' && c <= '7'; });
    if (base == 'x') n = run(pos + 2, [](char c) { return hex_value(c) >= 0; });
    if (n > 0) return n + 2;
  }
  if (s[pos] == '0') return 1 + run(pos + 1, [](char c) { return c == '0'; });
  if (s[pos] >= '1' && s[pos] <= '9') return 1 + run(pos + 1, is_digit);
  return 0;
}

constexpr std::string_view kOperators[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/",
                                           "*",  "%",  "~",  "[",  "]",  "(",  ")", "{", "}",
                                           "=",  ">",  "<",  ".",  ":",  "|",  ",", ";"};

class Lexer {
 public:
  explicit Lexer(const std::string& source) : s_(source) {}

  std::vector<Token> run() {
    while (pos_ < s_.size()) {
      const std::size_t tag = find_tag_start(pos_);
      if (tag == std::string::npos) {
        emit(TokenKind::Text, s_.substr(pos_), pos_);
        break;
      }
      const char type = s_[tag + 1];
      const char sign = tag + 2 < s_.size() ? s_[tag + 2] : '\0';
      std::string text = s_.substr(pos_, tag - pos_);
      const std::size_t text_offset = pos_;
      const std::size_t raw_body = type == '%' ? match_raw_begin(tag) : std::string::npos;
      apply_left_strip(text, sign, type != '{');
      if (!text.empty()) emit(TokenKind::Text, std::move(text), text_offset);
      const std::size_t after_sign = tag + 2 + (sign == '-' || sign == '+' ? 1 : 0);
      if (raw_body != std::string::npos) {
        lex_raw(tag, raw_body);
      } else if (type == '#') {
        lex_comment(tag, after_sign);
      } else {
        lex_tag(type == '{' ? TokenKind::VariableBegin : TokenKind::BlockBegin, tag, after_sign);
      }
    }
    tokens_.push_back(Token{TokenKind::End, "", s_.size()});
    return std::move(tokens_);
  }

 private:
  void emit(TokenKind kind, std::string text, std::size_t offset) {
    tokens_.push_back(Token{kind, std::move(text), offset});
  }

  std::size_t find_tag_start(std::size_t from) const {
    for (std::size_t i = s_.find('{', from); i != std::string::npos; i = s_.find('{', i + 1)) {
      if (i + 1 < s_.size() && (s_[i + 1] == '{' || s_[i + 1] == '%' || s_[i + 1] == '#')) return i;
    }
    return std::string::npos;
  }

  // Marks where the consumed input ended, for lstrip_blocks' "line starting".
  void consumed_until(std::size_t end) {
    pos_ = end;
    line_starting_ = end > 0 && s_[end - 1] == '\n';
  }

  // `-` strips all whitespace before the tag; otherwise lstrip_blocks strips
  // the indentation of a block or comment tag that starts its line.
  void apply_left_strip(std::string& text, char sign, bool is_block_or_comment) const {
    if (sign == '-') {
      text = std::string(unicode::strip(text, unicode::Side::Right));
      return;
    }
    if (sign == '+' || !is_block_or_comment) return;
    const std::size_t newline = text.rfind('\n');
    const std::size_t line_start = newline == std::string::npos ? 0 : newline + 1;
    if (newline == std::string::npos && !line_starting_) return;
    if (line_start == text.size()) return;
    if (unicode::strip(std::string_view(text).substr(line_start), unicode::Side::Left).empty()) {
      text.resize(line_start);
    }
  }

  std::size_t skip_spaces(std::size_t p) const {
    while (p < s_.size()) {
      std::size_t q = p;
      if (!unicode::is_space(utf8::next(s_, q))) break;
      p = q;
    }
    return p;
  }

  // Matches `{%[-+]? raw [-]?%}` at `tag`; returns where the raw body starts.
  std::size_t match_raw_begin(std::size_t tag) const {
    std::size_t p = tag + 2;
    if (p < s_.size() && (s_[p] == '-' || s_[p] == '+')) ++p;
    p = skip_spaces(p);
    if (s_.compare(p, 3, "raw") != 0) return std::string::npos;
    p = skip_spaces(p + 3);
    if (s_.compare(p, 3, "-%}") == 0) return skip_spaces(p + 3);
    if (s_.compare(p, 2, "%}") == 0) return p + 2;
    return std::string::npos;
  }

  void lex_raw(std::size_t tag, std::size_t body) {
    for (std::size_t end = s_.find("{%", body); end != std::string::npos;
         end = s_.find("{%", end + 1)) {
      std::size_t p = end + 2;
      const char sign = p < s_.size() ? s_[p] : '\0';
      if (sign == '-' || sign == '+') ++p;
      p = skip_spaces(p);
      if (s_.compare(p, 6, "endraw") != 0) continue;
      p = skip_spaces(p + 6);
      const std::size_t close = match_block_end(p);
      if (close == std::string::npos) continue;
      consumed_until(body);
      std::string text = s_.substr(body, end - body);
      apply_left_strip(text, sign, true);
      if (!text.empty()) emit(TokenKind::Text, std::move(text), body);
      consumed_until(close);
      return;
    }
    fail_at(tag, "missing end of raw directive ({% endraw %})");
  }

  // At `p`: `+%}`, `-%}` plus whitespace, or `%}` plus one newline (trim_blocks).
  // Returns the position after the match, or npos.
  std::size_t match_block_end(std::size_t p) const {
    if (s_.compare(p, 3, "+%}") == 0) return p + 3;
    if (s_.compare(p, 3, "-%}") == 0) return skip_spaces(p + 3);
    if (s_.compare(p, 2, "%}") == 0)
      return p + 2 + (p + 2 < s_.size() && s_[p + 2] == '\n' ? 1 : 0);
    return std::string::npos;
  }

  void lex_comment(std::size_t tag, std::size_t body) {
    const std::size_t close = s_.find("#}", body);
    if (close == std::string::npos) fail_at(tag, "missing end of comment tag (#})");
    std::size_t end = close + 2;
    const char sign = close > body ? s_[close - 1] : '\0';
    if (sign == '-') {
      end = skip_spaces(end);
    } else if (sign != '+' && end < s_.size() && s_[end] == '\n') {
      ++end;
    }
    consumed_until(end);
  }

  void lex_tag(TokenKind begin, std::size_t tag, std::size_t p) {
    emit(begin, "", tag);
    std::vector<char> brackets;  // open brackets: an end marker inside them is an operator
    while (true) {
      if (p >= s_.size()) {
        fail_at(tag, begin == TokenKind::VariableBegin
                         ? "unexpected end of template, expected '}}'"
                         : "unexpected end of template, expected '%}'");
      }
      if (brackets.empty()) {
        const std::size_t end =
            begin == TokenKind::BlockBegin ? match_block_end(p) : match_variable_end(p);
        if (end != std::string::npos) {
          emit(begin == TokenKind::BlockBegin ? TokenKind::BlockEnd : TokenKind::VariableEnd, "",
               p);
          consumed_until(end);
          return;
        }
      }
      std::size_t q = p;
      if (unicode::is_space(utf8::next(s_, q))) {
        p = q;
        continue;
      }
      p = lex_expression_token(p, brackets);
    }
  }

  std::size_t match_variable_end(std::size_t p) const {
    if (s_.compare(p, 3, "-}}") == 0) return skip_spaces(p + 3);
    if (s_.compare(p, 2, "}}") == 0) return p + 2;
    return std::string::npos;
  }

  std::size_t lex_expression_token(std::size_t p, std::vector<char>& brackets) {
    const char c = s_[p];
    if (const std::size_t n = match_float(s_, p)) {
      emit(TokenKind::Float, s_.substr(p, n), p);
      return p + n;
    }
    if (const std::size_t n = is_digit(c) ? match_integer(s_, p) : 0) {
      emit(TokenKind::Integer, s_.substr(p, n), p);
      return p + n;
    }
    if (is_name_start(c)) {
      std::size_t q = p;
      while (q < s_.size() && is_name_char(s_[q])) ++q;
      emit(TokenKind::Name, s_.substr(p, q - p), p);
      return q;
    }
    if (c == '\'' || c == '"') return lex_string(p);
    for (const std::string_view op : kOperators) {
      if (s_.compare(p, op.size(), op) != 0) continue;
      track_bracket(op[0], brackets, p);
      emit(TokenKind::Operator, std::string(op), p);
      return p + op.size();
    }
    fail_at(p, "unexpected character '" + std::string(1, c) + "' in a template tag");
  }

  void track_bracket(char c, std::vector<char>& brackets, std::size_t p) const {
    if (c == '(' || c == '[' || c == '{') {
      brackets.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    } else if (c == ')' || c == ']' || c == '}') {
      if (brackets.empty()) fail_at(p, std::string("unexpected '") + c + "'");
      if (brackets.back() != c) {
        fail_at(p, std::string("unexpected '") + c + "', expected '" + brackets.back() + "'");
      }
      brackets.pop_back();
    }
  }

  std::size_t lex_string(std::size_t p) {
    const char quote = s_[p];
    std::size_t q = p + 1;
    while (q < s_.size() && s_[q] != quote) q += s_[q] == '\\' ? 2 : 1;
    if (q >= s_.size()) fail_at(p, "unterminated string literal");
    emit(TokenKind::String, unescape(std::string_view(s_).substr(p + 1, q - p - 1), p), p);
    return q + 1;
  }

  const std::string& s_;
  std::size_t pos_ = 0;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(const std::string& source) {
  return Lexer(source).run();
}

}  // namespace wizard::jinja
