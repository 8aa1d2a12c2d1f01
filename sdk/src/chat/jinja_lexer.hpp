// Splits a template into text and the tokens inside {{ }} and {% %}, applying
// the whitespace rules transformers' environment uses: trim_blocks (drop the
// newline after a block tag), lstrip_blocks (drop the indentation before one),
// and the manual `-`/`+` markers. Comments and {% raw %} are resolved here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wizard::jinja {

enum class TokenKind {
  Text,
  VariableBegin,
  VariableEnd,
  BlockBegin,
  BlockEnd,
  Name,
  String,   // text holds the unescaped value
  Integer,  // text holds the literal as written
  Float,
  Operator,
  End,
};

struct Token {
  TokenKind kind;
  std::string text;
  std::size_t offset;  // into the normalized source
};

// Jinja's preprocessing: \r\n and \r become \n, and one trailing newline is
// dropped (keep_trailing_newline=False).
std::string normalize_newlines(std::string_view source);

// Tokenizes a normalized source. Throws Fault (with offset) on malformed input.
std::vector<Token> tokenize(const std::string& source);

}  // namespace wizard::jinja
