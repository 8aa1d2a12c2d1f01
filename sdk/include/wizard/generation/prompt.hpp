// Prompts for generation, prepared as the cpo recipe prepares them for training (TRL's
// maybe_apply_chat_template and tokenize_row), so a trained model is asked in the form it
// learned:
//   - a string is used as it is;
//   - a conversation (a list of {role, content} messages) is rendered with the model's chat
//     template, with the header of the assistant's turn (add_generation_prompt) after a user
//     or tool message, or cut after a final assistant message the model continues
//     (continue_final_message);
// then the text is encoded without special tokens and BOS is put first when the tokenizer
// has one and the text does not start with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/chat/template_loader.hpp"
#include "wizard/data/dataset.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace wizard::generation {

// Throws wizard::Error for a value that is neither a string nor a list of messages, and
// for a conversation ending with a system message.
WIZARD_API std::string prompt_text(const Row& prompt, const ModelChatTemplates& templates);

WIZARD_API std::vector<std::int32_t> prompt_ids(const std::string& text,
                                                const Tokenizer& tokenizer);

}  // namespace wizard::generation
