// TRL v0.25.1's CPO data pipeline for one preference row, stage by stage, as
// CPOTrainer maps its dataset:
//
//   maybe_extract_prompt  ->  maybe_apply_chat_template  ->  CPOTrainer.tokenize_row
//   (row with prompt)          (PreferenceText)                (TokenizedPreference)
//
// Rows come in TRL's standard format (prompt/chosen/rejected strings) or its
// conversational format (lists of {role, content} messages); the prompt may be
// implicit, i.e. the shared start of chosen and rejected. docs/data.md
// describes each stage and where wizard differs from TRL.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wizard/base/error.hpp"
#include "wizard/base/export.hpp"
#include "wizard/chat/template_loader.hpp"
#include "wizard/data/dataset.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace wizard {

// A row TRL refuses with a ValueError (or a chat template refuses with
// raise_exception): the message says why. Datasets skip such rows or stop,
// as PreferenceTokenization::invalid_row says.
class WIZARD_API RejectedPreferenceRow : public Error {
 public:
  explicit RejectedPreferenceRow(const std::string& message);
  ~RejectedPreferenceRow() override;
};

// TRL's is_conversational for one column value: a non-empty list whose first
// element is an object with a "role".
WIZARD_API bool is_conversational(const Row& value);

// TRL's maybe_extract_prompt: a row with "chosen" and "rejected" and no usable
// "prompt" (absent, or not of the answers' kind) gets the longest common prefix
// of chosen and rejected as its prompt (messages, or characters; a space just
// before the first difference goes to the answers), and the rest as answers.
// Other columns are kept. Rows that are not preference rows are a wizard::Error.
WIZARD_API Row maybe_extract_prompt(const Row& row);

// The texts tokenize_row receives.
struct PreferenceText {
  std::string prompt;
  std::string chosen;
  std::string rejected;
};

// TRL's maybe_apply_chat_template on a row with prompt, chosen and rejected:
// strings pass through; message lists are rendered with the model's default
// chat template, the prompt with add_generation_prompt (or
// continue_final_message when its last message is the assistant's), the
// answers as what prompt+answer adds after the prompt. Throws
// RejectedPreferenceRow where TRL raises (a prompt ending with a system
// message) and ChatTemplateError when the template refuses the conversation.
WIZARD_API PreferenceText maybe_apply_chat_template(const Row& row,
                                                    const ModelChatTemplates& templates);

enum class TruncationMode { KeepEnd, KeepStart };

// CPOConfig's length settings (TRL's defaults).
struct PreferenceLengths {
  std::int64_t max_length = 1024;
  std::int64_t max_prompt_length = 512;
  TruncationMode truncation_mode = TruncationMode::KeepEnd;
};

// Where a negative answer came from. The row's `rejected` is TRL's; the others are wizard's
// several-negatives extension (docs/data.md).
enum class NegativeSource : std::uint8_t {
  rejected,  // the row's rejected answer
  listed,    // the negatives column
  hard,      // the hard_negatives column
  mined,     // found by a hard-negative miner
  in_batch,  // another prompt's chosen answer from the same micro-batch
};

// "rejected", "listed", "hard", "mined", "in_batch".
WIZARD_API const char* negative_source_name(NegativeSource source);

// One more negative of a row, tokenized exactly as TRL tokenizes a rejected answer: the
// rejected part of tokenize_row(prompt, chosen, this answer).
struct WIZARD_API TokenizedNegative {
  std::vector<std::int32_t> input_ids;  // prompt part + answer
  std::size_t prompt_length = 0;
  NegativeSource source = NegativeSource::listed;
  std::size_t answer_length() const { return input_ids.size() - prompt_length; }
};

// One tokenized pair as CPOTrainer.tokenize_row returns it. Each sequence is its
// prompt part followed by its answer; labels are -100 over the prompt part.
struct WIZARD_API TokenizedPreference {
  std::vector<std::int32_t> prompt_input_ids;  // the prompt alone
  std::vector<std::int32_t> chosen_input_ids;
  std::vector<std::int32_t> rejected_input_ids;
  // Tokens of chosen_/rejected_input_ids that belong to the prompt. They can
  // differ from prompt_input_ids.size() (and from each other) by one when the
  // tokenizer merged the prompt's last token with the answer's first.
  std::size_t chosen_prompt_length = 0;
  std::size_t rejected_prompt_length = 0;
  std::size_t source_row = 0;  // the row's index in the dataset it came from
  // The row's other negatives (its negatives and hard_negatives columns, then mined ones), each
  // tokenized as TRL tokenizes `rejected`. Empty for TRL's pairs.
  std::vector<TokenizedNegative> more_negatives;

  std::size_t chosen_answer_length() const {
    return chosen_input_ids.size() - chosen_prompt_length;
  }
  std::size_t rejected_answer_length() const {
    return rejected_input_ids.size() - rejected_prompt_length;
  }
  // TRL's chosen_labels / rejected_labels: the ids, with `ignore` over the prompt part.
  std::vector<std::int64_t> chosen_labels(std::int64_t ignore = -100) const;
  std::vector<std::int64_t> rejected_labels(std::int64_t ignore = -100) const;
};

// CPOTrainer.tokenize_row: prompt and prompt+answer encoded without special
// tokens, the prompt/answer boundary found as build_tokenized_answer does (one
// merged token moves to the answer), the prompt cut to the shorter of the two,
// BOS prepended unless already first and EOS appended unless already last
// (none when the tokenizer has no such token), then truncation by
// max_length/max_prompt_length/truncation_mode. The answers may end up empty
// (TRL issue #6548); tokenize_preferences() applies the empty-answer policy.
// Throws RejectedPreferenceRow where TRL raises ValueError.
WIZARD_API TokenizedPreference tokenize_row(const Tokenizer& tokenizer, const PreferenceText& text,
                                            const PreferenceLengths& lengths);

}  // namespace wizard
