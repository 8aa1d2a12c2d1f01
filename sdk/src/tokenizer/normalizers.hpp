// tokenizer.json "normalizer": NFC, NFD, NFKC, NFKD, Lowercase, Prepend,
// Replace, Strip and Sequence, each rewriting a text segment as HF does.
#pragma once

#include <memory>
#include <string>

#include "tokenizer/json_view.hpp"

namespace wizard::tokenizer {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

// The normalizer a tokenizer.json node describes; nullptr for `null`.
std::unique_ptr<Normalizer> make_normalizer(const JsonView& node);

}  // namespace wizard::tokenizer
