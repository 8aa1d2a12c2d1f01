#include "tokenizer/unicode.hpp"

#include <unicode/uchar.h>
#include <unicode/ustring.h>

#include "base/utf8.hpp"

namespace wizard::tokenizer {

bool is_whitespace(char32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  return u_isUWhiteSpace(static_cast<UChar32>(cp));
}

std::uint32_t general_category_mask(char32_t cp) {
  return U_GET_GC_MASK(static_cast<UChar32>(cp));
}

bool is_numeric(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return (general_category_mask(cp) & U_GC_N_MASK) != 0;
}

bool is_alphanumeric(char32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z');
  return u_isUAlphabetic(static_cast<UChar32>(cp)) || is_numeric(cp);
}

void append_lowercase(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    return;
  }
  // A lone code point has no casing context, as with Rust's per-char mapping.
  UChar source[2];
  int32_t source_length = 0;
  U16_APPEND_UNSAFE(source, source_length, static_cast<UChar32>(cp));
  UChar lowered[8];
  UErrorCode status = U_ZERO_ERROR;
  const int32_t length = u_strToLower(lowered, 8, source, source_length, "", &status);
  if (U_FAILURE(status)) {
    utf8::append(out, cp);
    return;
  }
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U16_NEXT(lowered, i, length, c);
    utf8::append(out, static_cast<char32_t>(c));
  }
}

char32_t fold_case(char32_t cp) {
  if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
  return static_cast<char32_t>(u_foldCase(static_cast<UChar32>(cp), U_FOLD_CASE_DEFAULT));
}

}  // namespace wizard::tokenizer
