// tokenizer.json "decoder": ByteLevel, Metaspace, ByteFallback, Fuse, Strip,
// Replace and Sequence. Each rewrites the token list as HF's decode_chain does;
// the decoded text is the concatenation of the final list.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenizer/json_view.hpp"

namespace wizard::tokenizer {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// The decoder a tokenizer.json node describes; nullptr for `null`.
std::unique_ptr<Decoder> make_decoder(const JsonView& node);

}  // namespace wizard::tokenizer
