// A regex character class ([...], \s, \p{L}, ...) with Oniguruma's Unicode
// meanings. ASCII answers are precomputed into a table; other code points are
// checked against the class items using ICU properties.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace wizard::tokenizer {

class CharClass {
 public:
  enum class ItemKind : std::uint8_t {
    Range,           // lo..hi
    Category,        // general-category mask (U_GC_*_MASK)
    Script,          // ICU UScriptCode
    BinaryProperty,  // ICU UProperty
    Space,           // \s: White_Space
    Digit,           // \d: Nd
    Word,            // \w: letters, marks, Nd, Pc
    HexDigit,        // \h: [0-9a-fA-F]
  };

  void add(ItemKind kind, bool negated, std::uint32_t lo = 0, std::uint32_t hi = 0);
  void add_range(char32_t lo, char32_t hi) { add(ItemKind::Range, false, lo, hi); }
  void set_negated(bool negated) { negated_ = negated; }
  void set_case_insensitive(bool insensitive) { case_insensitive_ = insensitive; }
  // Call once after the last add(): fills the ASCII table.
  void finalize();

  bool matches(char32_t cp) const {
    if (cp < 128) return ascii_[cp];
    return matches_unicode(cp);
  }

 private:
  struct Item {
    ItemKind kind;
    bool negated;
    std::uint32_t lo, hi;
  };
  bool matches_unicode(char32_t cp) const;
  bool matches_items(char32_t cp) const;

  std::vector<Item> items_;
  bool negated_ = false;
  bool case_insensitive_ = false;
  std::array<bool, 128> ascii_{};
};

}  // namespace wizard::tokenizer
