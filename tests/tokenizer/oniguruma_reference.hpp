// The reference for the tokenizer's regex engine: Oniguruma, run the way HF tokenizers runs it
// (the onig crate 6.x: UTF-8, Ruby syntax, no options, find_iter's rule for empty matches).
// Tests compare the hand-written engine with it; bench_tokenizer times it. It is not the
// tokenizer's engine: docs/tokenizer.md has the measurements that decided that.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wizard::test {

class OnigurumaRegex {
 public:
  // Throws wizard::Error naming the pattern and Oniguruma's reason.
  explicit OnigurumaRegex(std::string_view pattern);

  // The onig crate's find_iter: leftmost matches from the end of the previous one; an empty
  // match where the previous match ended is skipped and the search resumes one character on.
  // Calls on_match(begin, end) for each; `text` must be valid UTF-8.
  template <class OnMatch>
  void for_each_match(std::string_view text, OnMatch&& on_match) const {
    std::size_t from = 0, begin = 0, end = 0, last_end = 0;
    bool matched = false;
    while (from <= text.size() && find(text, from, begin, end)) {
      if (begin == end && matched && end == last_end) {
        from += next_character_length(text, from);
        continue;
      }
      on_match(begin, end);
      from = last_end = end;
      matched = true;
    }
  }

  // The matched substrings, in order.
  std::vector<std::string> matches(std::string_view text) const;

 private:
  bool find(std::string_view text, std::size_t from, std::size_t& begin, std::size_t& end) const;
  // Rust's `chars().next().len_utf8()`, or 1 at the end of the text.
  static std::size_t next_character_length(std::string_view text, std::size_t at);

  struct Compiled;
  std::string pattern_;
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace wizard::test
