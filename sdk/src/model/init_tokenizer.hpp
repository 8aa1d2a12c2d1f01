// The tokenizer init-model writes: byte-level BPE with no merges (every byte one token, the
// token id equal to the byte), three ChatML special tokens, and a ChatML chat template.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace wizard::model {

struct InitTokenizer {
  // Special tokens in id order, right after the 256 byte tokens.
  static const std::vector<std::string>& special_tokens();
  static int64_t size();
  static int64_t id_of(const std::string& special_token);

  static nlohmann::json tokenizer_json();
  static nlohmann::json tokenizer_config_json(int64_t model_max_length);
};

}  // namespace wizard::model
