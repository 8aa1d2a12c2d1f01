// Text in, text out: prompt texts (prompt.hpp) decoded as one batch with the model's KV-cache
// generation (wizard/model/generate.hpp), stop strings applied, answers decoded, and the
// printable text of each row handed out as it arrives (a chat prints it token by token).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/model/generate.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace wizard::generation {

struct WIZARD_API Answer {
  std::string text;                  // decoded without special tokens
  std::vector<std::int32_t> tokens;  // the new tokens (a stopping EOS kept)
  model::StopReason reason = model::StopReason::length;
  std::int64_t prompt_tokens = 0;
};

// Called with a row's newly printable text.
using TextCallback = std::function<void(std::size_t row, const std::string& text)>;

// `config.stop_strings` stop a row once its text contains one (kept in the answer, as
// transformers keeps the tokens). `stats`, when given, receives the decoding's figures.
WIZARD_API std::vector<Answer> generate_text(const model::CausalLM& model,
                                             const Tokenizer& tokenizer,
                                             const std::vector<std::string>& prompts,
                                             const model::GenerationConfig& config,
                                             const TextCallback& on_text = {},
                                             model::GenerationStats* stats = nullptr);

}  // namespace wizard::generation
