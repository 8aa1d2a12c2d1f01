#include "tokenizer/byte_level.hpp"

#include <array>
#include <cstdint>

#include "base/utf8.hpp"

namespace wizard::tokenizer {
namespace {

struct Alphabet {
  std::array<std::array<char, 2>, 256> utf8{};  // each char is 1 or 2 UTF-8 bytes
  std::array<std::uint8_t, 256> utf8_length{};
  std::array<std::int16_t, 324> byte_of{};  // code point -> byte, -1 if not in the alphabet

  Alphabet() {
    byte_of.fill(-1);
    // Printable bytes stand for themselves; the others map to 256, 257, ... in byte order.
    const auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const int cp = printable(b) ? b : next++;
      std::string encoded;
      utf8::append(encoded, static_cast<char32_t>(cp));
      utf8[b] = {encoded[0], encoded.size() > 1 ? encoded[1] : '\0'};
      utf8_length[b] = static_cast<std::uint8_t>(encoded.size());
      byte_of[cp] = static_cast<std::int16_t>(b);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet instance;
  return instance;
}

}  // namespace

void append_byte_level(std::string& out, std::string_view bytes) {
  const Alphabet& a = alphabet();
  std::size_t size = out.size();
  out.resize(size + 2 * bytes.size());  // at most two UTF-8 bytes per input byte
  char* write = out.data();
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    write[size] = a.utf8[b][0];
    write[size + 1] = a.utf8[b][1];
    size += a.utf8_length[b];
  }
  out.resize(size);
}

bool append_byte_level_decoded(std::string& out, std::string_view token) {
  const Alphabet& a = alphabet();
  const std::size_t mark = out.size();
  for (std::size_t pos = 0; pos < token.size();) {
    const utf8::CodePoint cp = utf8::decode(token, pos);
    if (cp.value >= a.byte_of.size() || a.byte_of[cp.value] < 0) {
      out.resize(mark);
      return false;
    }
    out.push_back(static_cast<char>(a.byte_of[cp.value]));
    pos += cp.length;
  }
  return true;
}

}  // namespace wizard::tokenizer
