#include "tokenizer/char_class.hpp"

#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include "tokenizer/unicode.hpp"

namespace wizard::tokenizer {

void CharClass::add(ItemKind kind, bool negated, std::uint32_t lo, std::uint32_t hi) {
  items_.push_back({kind, negated, lo, hi});
}

void CharClass::finalize() {
  for (char32_t cp = 0; cp < 128; ++cp) ascii_[cp] = matches_unicode(cp);
}

bool CharClass::matches_items(char32_t cp) const {
  std::uint32_t category = 0;  // computed lazily: most classes need it once
  const auto gc = [&] {
    if (!category) category = general_category_mask(cp);
    return category;
  };
  for (const Item& item : items_) {
    bool hit = false;
    switch (item.kind) {
      case ItemKind::Range:
        hit = cp >= item.lo && cp <= item.hi;
        break;
      case ItemKind::Category:
        hit = (gc() & item.lo) != 0;
        break;
      case ItemKind::Script: {
        UErrorCode status = U_ZERO_ERROR;
        hit = uscript_getScript(static_cast<UChar32>(cp), &status) ==
              static_cast<UScriptCode>(item.lo);
        break;
      }
      case ItemKind::BinaryProperty:
        hit = u_hasBinaryProperty(static_cast<UChar32>(cp), static_cast<UProperty>(item.lo));
        break;
      case ItemKind::Space:
        hit = is_whitespace(cp);
        break;
      case ItemKind::Digit:
        hit = (gc() & U_GC_ND_MASK) != 0;
        break;
      case ItemKind::Word:
        hit = (gc() & (U_GC_L_MASK | U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) != 0;
        break;
      case ItemKind::HexDigit:
        hit = (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'f');
        break;
    }
    if (hit != item.negated) return true;
  }
  return false;
}

bool CharClass::matches_unicode(char32_t cp) const {
  bool hit = matches_items(cp);
  if (!hit && case_insensitive_) {
    const auto c = static_cast<UChar32>(cp);
    for (const UChar32 variant : {static_cast<UChar32>(fold_case(cp)), u_toupper(c), u_tolower(c)})
      if (variant != c && matches_items(static_cast<char32_t>(variant))) {
        hit = true;
        break;
      }
  }
  return hit != negated_;
}

}  // namespace wizard::tokenizer
