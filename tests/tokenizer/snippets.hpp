// Small hand-made tokenizer.json documents for component tests.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "tokenizer/json_view.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace wizard::test {

// A BPE model whose vocabulary is `tokens` with ids 0, 1, 2, ... in order.
nlohmann::json bpe_model(const std::vector<std::string>& tokens, const nlohmann::json& merges);

// A tokenizer.json around `model` with the given pipeline parts (null when omitted).
nlohmann::json tokenizer_json(const nlohmann::json& model,
                              const nlohmann::json& parts = nlohmann::json::object());

Tokenizer tokenizer_from(const nlohmann::json& document);

// A view of `value` for the component factories, named like a file in errors.
tokenizer::JsonView view_of(const nlohmann::json& value);

// An added_tokens entry.
nlohmann::json added_token(int id, const std::string& content, bool special,
                           nlohmann::json flags = nlohmann::json::object());

}  // namespace wizard::test
