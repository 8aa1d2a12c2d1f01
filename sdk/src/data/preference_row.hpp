// A preference row as the configured columns give it, before TRL's stages: the row TRL's
// pipeline reads (prompt, chosen, rejected under TRL's names) and the answers of the
// negatives columns, checked column by column (a bad value is an error naming its column).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "wizard/data/dataset.hpp"
#include "wizard/data/preference_tokenization.hpp"
#include "wizard/data/trl_preference.hpp"

namespace wizard::data_detail {

struct PreferenceRowParts {
  // "prompt" (when the row has one), "chosen", "rejected" (when the row has one).
  Row row = Row::object();
  // The negatives and hard_negatives columns' answers, in that order.
  std::vector<std::pair<Row, NegativeSource>> extra_negatives;
  std::string system;  // the system column's text ("" when absent or null)
};

// Throws wizard::Error naming the column when a value has the wrong type (answers must be
// strings or message lists, negatives columns lists of answers, system a string).
PreferenceRowParts split_preference_row(const Row& row, const PreferenceColumns& columns);

// A standard-format row made conversational: the prompt a user message after an optional
// system message, each answer an assistant message. A conversational prompt gets the system
// message in front (an error when it already starts with one).
Row conversation_of_prompt(const Row& prompt, const std::string& system);
Row conversation_of_answer(const Row& answer);

// An answer written whole (prompt included), as rows without a prompt column carry them, with
// the prompt that maybe_extract_prompt found removed; throws wizard::Error naming `what` when
// the answer does not start with that prompt.
Row answer_after_prompt(const Row& answer, const Row& prompt, const std::string& what);

// An answer with nothing in it: a string of white space only, or messages whose contents are
// all such strings.
bool is_empty_answer(const Row& answer);

}  // namespace wizard::data_detail
