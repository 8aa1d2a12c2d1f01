// GPT-2's reversible byte <-> printable-character alphabet used by the
// ByteLevel pre-tokenizer and decoder.
#pragma once

#include <string>
#include <string_view>

namespace wizard::tokenizer {

// Appends the byte-level characters for `bytes` (each byte becomes one char).
void append_byte_level(std::string& out, std::string_view bytes);

// Appends the bytes a byte-level token stands for; false (and nothing
// appended) if one of its characters is outside the alphabet.
bool append_byte_level_decoded(std::string& out, std::string_view token);

}  // namespace wizard::tokenizer
