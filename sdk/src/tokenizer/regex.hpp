// The regular expressions of tokenizer.json (Split pre-tokenizers, Replace
// normalizers/decoders) with the semantics of Oniguruma, which HF tokenizers
// uses: leftmost-first alternation, greedy/lazy/possessive quantifiers,
// look-ahead, fixed-width look-behind, atomic groups, (?i:...) with Unicode
// case folding, \p{..} general categories/scripts/properties, Ruby-style ^ $.
//
// RE2 cannot express `\s+(?!\S)`, ICU's regex works on UTF-16, and Oniguruma
// itself is 3-4x slower on the tokenizer's workload, so this is a small
// backtracking VM over UTF-8 (docs/tokenizer.md has the measurements). The tests
// check it against Oniguruma. Immutable after compile(); matching is thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/utf8.hpp"
#include "tokenizer/char_class.hpp"

namespace wizard::tokenizer {

struct RegexInstruction {
  enum class Op : std::uint8_t {
    Char,      // a = code point
    CharFold,  // a = case-folded code point
    Class,     // a = class index
    AnyButNewline,
    Any,
    Split,   // try a, then b; c = first-set index of a (or kNone)
    Jump,    // a = target
    Repeat,  // single-character repeat of the instruction at pc+1: b = min, c = max
    Assert,  // kind = Assertion
    Look,    // sub-program at pc+1; c = continuation; b = look-behind width
    Atomic,  // sub-program at pc+1; c = continuation
    Match,
  };
  enum Assertion : std::uint8_t {
    LineStart,
    LineEnd,
    TextStart,
    TextEnd,
    TextEndNewline,
    WordBoundary,
    NotWordBoundary
  };
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;

  Op op;
  bool greedy = true;   // Repeat
  bool negate = false;  // Look
  bool behind = false;  // Look
  std::uint8_t kind = 0;
  std::uint32_t a = 0, b = 0, c = 0;
};

// Which characters can begin a match: ASCII exactly, anything else loosely.
struct FirstSet {
  std::array<bool, 128> ascii{};
  bool non_ascii = false;
  bool nullable = false;
  bool admits(unsigned char lead) const {
    return nullable || (lead < 128 ? ascii[lead] : non_ascii);
  }
};

// The fast form of a pattern that is an alternation of branches, each a
// sequence of single-character atoms with greedy quantifiers, optionally
// ended by a single-character look-ahead: `\s+(?!\S)`, `[^\r\n\p{L}\p{N}]?\p{L}+`,
// `(?i:'s|'t)`. GPT-2, Llama-3 and Qwen split patterns have this form; they
// are matched by direct backtracking over the atoms instead of the VM.
struct LinearAtom {
  RegexInstruction matcher;  // a single-character instruction (Char, CharFold, Class, Any...)
  std::uint32_t min, max;
  std::array<bool, 128> ascii{};  // what `matcher` answers for each ASCII character
};
struct LinearBranch {
  std::vector<LinearAtom> atoms;
  bool has_look_ahead = false;
  bool look_ahead_negated = false;
  RegexInstruction look_ahead{RegexInstruction::Op::Any};
  FirstSet first;
};

struct RegexProgram {
  std::vector<RegexInstruction> code;
  std::vector<CharClass> classes;
  std::vector<FirstSet> first_sets;
  FirstSet first;                    // of the whole pattern
  std::vector<LinearBranch> linear;  // non-empty when the fast form applies
  // For each ASCII lead byte (and 128 for any other), the branches that may
  // match there, in pattern order: most positions try one branch only.
  std::array<std::vector<std::uint16_t>, 129> linear_candidates;
};

class Regex {
 public:
  // Throws wizard::Error naming the pattern and offset for syntax this engine
  // does not support (back-references, \K, nested classes, ...).
  // `allow_linear` false forces the VM (tests compare both paths).
  static Regex compile(std::string_view pattern, bool allow_linear = true);
  bool uses_linear_matcher() const { return !program_->linear.empty(); }

  // The leftmost match at or after `from`; false if none. `text` must be valid UTF-8.
  bool find(std::string_view text, std::size_t from, std::size_t& begin, std::size_t& end) const;

  // Non-overlapping matches left to right, as the onig crate's find_iter (what HF
  // iterates): each search starts where the previous match ended; an empty match
  // right there is skipped and the search resumes one character further.
  template <class OnMatch>
  void for_each_match(std::string_view text, OnMatch&& on_match) const {
    std::size_t from = 0, begin = 0, end = 0, last_end = 0;
    bool matched = false;
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
  std::string pattern_;
  std::shared_ptr<const RegexProgram> program_;
};

}  // namespace wizard::tokenizer
