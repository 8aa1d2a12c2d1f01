// tokenizer.json "pre_tokenizer": Split, ByteLevel, Metaspace, Digits,
// Whitespace, WhitespaceSplit, Punctuation and Sequence.
#pragma once

#include <memory>

#include "tokenizer/json_view.hpp"
#include "tokenizer/pieces.hpp"

namespace wizard::tokenizer {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Rewrites and/or cuts the pieces of `list`, as HF's pre_tokenize does to a
  // PreTokenizedString's splits.
  virtual void pre_tokenize(PieceList& list) const = 0;
};

// The pre-tokenizer a tokenizer.json node describes; nullptr for `null`.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonView& node);

// GPT-2's word-splitting regex, used by ByteLevel with use_regex.
const char* gpt2_pattern();

}  // namespace wizard::tokenizer
