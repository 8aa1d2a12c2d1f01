// tokenizer.json "normalizer": NFC, NFD, NFKC, NFKD, Lowercase, Prepend,
// Replace, Strip and Sequence, each rewriting a text segment as HF does.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tokenizer/json_view.hpp"

namespace wizard::tokenizer {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
  // True when normalize() would return `text` as it is (lets callers skip a copy).
  virtual bool leaves_unchanged(std::string_view /*text*/) const { return false; }
};

// The normalizer a tokenizer.json node describes; nullptr for `null`.
std::unique_ptr<Normalizer> make_normalizer(const JsonView& node);

}  // namespace wizard::tokenizer
