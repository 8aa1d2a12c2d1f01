// The {"String": ...} / {"Regex": ...} patterns of Split pre-tokenizers and
// Replace normalizers/decoders. A String pattern matches literally.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/json_view.hpp"
#include "tokenizer/pieces.hpp"
#include "tokenizer/regex.hpp"

namespace wizard::tokenizer {

class Pattern {
 public:
  static Pattern from_json(const JsonView& node);
  static Pattern literal(std::string text);
  static Pattern regex(std::string_view pattern);

  // Non-overlapping matches, left to right.
  template <class OnMatch>
  void for_each_match(std::string_view text, OnMatch&& on_match) const {
    if (regex_) {
      regex_->for_each_match(text, on_match);
      return;
    }
    if (literal_.empty()) return;
    for (std::size_t at = text.find(literal_); at != std::string_view::npos;
         at = text.find(literal_, at + literal_.size()))
      on_match(at, at + literal_.size());
  }

  // Matched and unmatched spans covering `text`, offsets shifted by `base`
  // (HF's Pattern::find_matches).
  void spans(std::string_view text, std::uint32_t base, std::vector<Span>& out) const;

  // Every match replaced by `content`.
  std::string replace_all(std::string_view text, std::string_view content) const;

 private:
  std::string literal_;
  std::optional<Regex> regex_;
};

}  // namespace wizard::tokenizer
