// A whole preference dataset through TRL's CPO pipeline (trl_preference.hpp),
// on all cores, with wizard's policies for rows TRL mishandles:
//
//   - an answer truncated to nothing (TRL trains on it: its issue #6548) is
//     skipped (default) or stops the run: `empty_answer = "skip" | "error"`;
//   - a row TRL refuses with a ValueError (prompt tokens that differ between
//     chosen and rejected beyond the merged last token, a prompt ending with a
//     system message, a chat template that refuses the conversation) is skipped
//     (default) or stops the run: `invalid_row = "skip" | "error"`;
//   - a row whose answers cannot teach a preference (a chosen answer written empty,
//     or no negative left that is neither empty nor equal to the chosen answer) is
//     skipped (default) or stops the run: `unusable_row = "skip" | "error"`. TRL
//     trains on such rows silently.
//
// Skipped rows are logged with their file:line; a dataset whose every row is
// skipped is an error. Malformed rows (missing columns, wrong types) always
// stop the run with the row's file:line.
#pragma once

#include <string>
#include <vector>

#include "wizard/base/config.hpp"
#include "wizard/base/export.hpp"
#include "wizard/data/trl_preference.hpp"

namespace wizard {

enum class RowPolicy { Skip, Error };

// The columns a preference row is read from (TRL's names by default). Negatives columns hold
// lists of answers, each of the chosen answer's kind (a string, or a list of messages).
struct WIZARD_API PreferenceColumns {
  std::string prompt = "prompt";
  std::string chosen = "chosen";
  std::string rejected = "rejected";
  std::string system = "system";  // a system message for the prompt (optional)
  std::string negatives = "negatives";
  std::string hard_negatives = "hard_negatives";
};

struct WIZARD_API PreferenceTokenization {
  PreferenceLengths lengths;
  PreferenceColumns columns;
  // Standard-format rows (strings) become conversations (system, user prompt, assistant
  // answers) rendered with the chat template: always when true, else only rows with a system
  // message. TRL leaves strings untemplated.
  bool strings_as_chat = false;
  RowPolicy empty_answer = RowPolicy::Skip;
  RowPolicy invalid_row = RowPolicy::Skip;
  RowPolicy unusable_row = RowPolicy::Skip;
  int threads = 0;  // 0: all cores

  // The options below, as a recipe documents them in its training_args_spec.
  static OptionDocs options();
  // Reads max_length, max_prompt_length, truncation_mode ("keep_end" |
  // "keep_start"), empty_answer, invalid_row and unusable_row ("skip" | "error") and the
  // column names (prompt_column, chosen_column, rejected_column, system_column,
  // multiple_negatives_column, hard_negatives_column) from `table`.
  static PreferenceTokenization from_config(const Config& table);
};

struct SkippedPreferenceRow {
  std::size_t row = 0;  // index in the dataset
  std::string where;    // the row's file:line
  std::string reason;
};

struct WIZARD_API TokenizedPreferences {
  std::vector<TokenizedPreference> pairs;  // in dataset order, skipped rows left out
  std::vector<SkippedPreferenceRow> skipped;
  std::size_t empty_answers = 0;  // skipped for an emptied answer
  std::size_t invalid_rows = 0;   // skipped as invalid
  // Skipped: an answer written empty, or every negative empty or equal to the chosen answer.
  std::size_t unusable_rows = 0;
  // Negatives left out of rows that kept others: equal to the chosen answer, or empty.
  std::size_t dropped_negatives = 0;
  // The largest number of negatives (rejected included) a kept row has.
  std::size_t max_negatives = 0;

  // "3 rows skipped (2 with an empty or repeated answer, 1 invalid; the first at
  // data.jsonl:4)"; "" when none were.
  std::string skip_summary() const;
  // Logs skip_summary() as a warning, out of `rows` rows of the set `name`, and the count of
  // dropped_negatives.
  void log_summary(const std::string& name, std::size_t rows) const;
};

// Runs maybe_extract_prompt -> maybe_apply_chat_template -> tokenize_row on
// every row of `dataset`. `name` ("train", "validation") appears in messages.
WIZARD_API TokenizedPreferences tokenize_preferences(const Dataset& dataset,
                                                     const Tokenizer& tokenizer,
                                                     const ModelChatTemplates& templates,
                                                     const PreferenceTokenization& settings,
                                                     const std::string& name = "train");

}  // namespace wizard
