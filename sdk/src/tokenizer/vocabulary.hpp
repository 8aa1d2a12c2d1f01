// A token <-> id table that looks tokens up by string_view without allocating.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/word_cache.hpp"

namespace wizard::tokenizer {

class Vocabulary {
 public:
  // Entries may have gaps in their ids; a later duplicate token wins, as in a JSON object read by
  // serde.
  explicit Vocabulary(std::vector<std::pair<std::string, std::int32_t>> entries);
  Vocabulary() = default;
  // Moving keeps the views valid: the token strings stay in the same heap block.
  Vocabulary(Vocabulary&&) = default;
  Vocabulary& operator=(Vocabulary&&) = default;

  std::optional<std::int32_t> find(std::string_view token) const {
    const auto it = ids_.find(token);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  const std::string* token(std::int32_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size() || !present_[id]) return nullptr;
    return &tokens_[id];
  }
  std::size_t size() const { return ids_.size(); }

 private:
  std::vector<std::string> tokens_;  // by id; never resized after construction, so views stay valid
  std::vector<bool> present_;
  std::unordered_map<std::string_view, std::int32_t, WordHash> ids_;
};

}  // namespace wizard::tokenizer
