// The regular expressions of tokenizer.json (Split pre-tokenizers, Replace normalizers and
// decoders), run by Oniguruma as HF tokenizers runs them (the `onig` crate): UTF-8, Ruby
// syntax (Oniguruma's default), no options. Compiled once; matching is thread-safe (the
// compiled regex is read-only during a search; each thread has its own match region).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/utf8.hpp"

namespace wizard::tokenizer {

class OnigRegex {
 public:
  // Throws wizard::Error naming the pattern and Oniguruma's reason.
  static OnigRegex compile(std::string_view pattern);

  // The leftmost match at or after `from`; false if none. `text` must be valid UTF-8.
  bool find(std::string_view text, std::size_t from, std::size_t& begin, std::size_t& end) const;

  // Non-overlapping matches left to right, as the onig crate's find_iter (what HF iterates):
  // an empty match where the previous match ended is skipped and the search resumes one
  // character further.
  template <class OnMatch>
  void for_each_match(std::string_view text, OnMatch&& on_match) const {
    std::size_t from = 0, begin = 0, end = 0;
    bool matched = false;
    std::size_t last_end = 0;
    while (from <= text.size() && find(text, from, begin, end)) {
      if (begin == end && matched && end == last_end) {
        if (from == text.size()) break;
        from += utf8::decode(text, from).length;
        continue;
      }
      on_match(begin, end);
      from = last_end = end;
      matched = true;
    }
  }

  const std::string& pattern() const { return pattern_; }

 private:
  struct Compiled;
  std::string pattern_;
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace wizard::tokenizer
