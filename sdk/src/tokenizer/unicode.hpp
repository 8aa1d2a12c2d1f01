// Unicode character properties with the meanings Rust's `char` methods have
// (HF tokenizers is written in Rust), backed by ICU with ASCII fast paths.
#pragma once

#include <cstdint>
#include <string>

namespace wizard::tokenizer {

// char::is_whitespace: the White_Space property.
bool is_whitespace(char32_t cp);

// char::is_numeric: general categories Nd, Nl, No.
bool is_numeric(char32_t cp);

// char::is_alphanumeric: Alphabetic or numeric.
bool is_alphanumeric(char32_t cp);

// The ICU general-category bit mask of cp (U_GC_*_MASK).
std::uint32_t general_category_mask(char32_t cp);

// char::to_lowercase (full mapping, no context: 'Σ' is always 'σ').
void append_lowercase(std::string& out, char32_t cp);

// Simple case folding, used for case-insensitive regex matching.
char32_t fold_case(char32_t cp);

}  // namespace wizard::tokenizer
