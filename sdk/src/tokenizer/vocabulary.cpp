#include "tokenizer/vocabulary.hpp"

#include <algorithm>

#include "wizard/base/error.hpp"

namespace wizard::tokenizer {

Vocabulary::Vocabulary(std::vector<std::pair<std::string, std::int32_t>> entries) {
  std::int32_t max_id = -1;
  for (const auto& [token, id] : entries) {
    if (id < 0)
      throw Error("vocabulary: token \"" + token + "\" has a negative id " + std::to_string(id));
    max_id = std::max(max_id, id);
  }
  tokens_.resize(static_cast<std::size_t>(max_id + 1));
  present_.assign(tokens_.size(), false);
  for (auto& [token, id] : entries) {
    tokens_[id] = std::move(token);
    present_[id] = true;
  }
  ids_.reserve(tokens_.size());
  for (std::size_t id = 0; id < tokens_.size(); ++id)
    if (present_[id]) ids_[tokens_[id]] = static_cast<std::int32_t>(id);
}

}  // namespace wizard::tokenizer
