#include "wizard/data/preference_tokenization.hpp"

#include <algorithm>
#include <optional>

#include "parallel.hpp"
#include "preference_row.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"
#include "wizard/chat/chat_template.hpp"

namespace wizard {

namespace {

constexpr std::size_t kLoggedSkips = 20;  // rows logged one by one before a summary

RowPolicy policy(const Config& table, const std::string& key) {
  const std::string value = table.get<std::string>(key, "skip");
  if (value == "skip") return RowPolicy::Skip;
  if (value == "error") return RowPolicy::Error;
  table.fail(key, "must be \"skip\" or \"error\", not \"" + value + "\"");
}

// What happened to one row.
struct Outcome {
  enum class Kind { Ok, EmptyAnswer, Unusable, Invalid, Malformed } kind = Kind::Ok;
  TokenizedPreference pair;
  std::size_t dropped_negatives = 0;  // equal to chosen, or empty; the row kept others
  std::string reason;
};

std::string truncation_note(const TokenizedPreference& pair, const PreferenceLengths& lengths) {
  return "prompt " + std::to_string(pair.prompt_input_ids.size()) + " tokens, max_length " +
         std::to_string(lengths.max_length) + ", max_prompt_length " +
         std::to_string(lengths.max_prompt_length);
}

// The row's negatives (rejected first, then the negatives columns' answers), each tokenized as
// TRL tokenizes `rejected` against the same prompt and chosen answer. `base` is the row after
// prompt extraction, with TRL's names.
std::vector<TokenizedNegative> tokenize_negatives(
    const Row& base, const std::vector<std::pair<Row, NegativeSource>>& extra,
    const TokenizedPreference& pair, bool prompt_was_implicit, bool as_chat,
    const Tokenizer& tokenizer, const ModelChatTemplates& templates,
    const PreferenceLengths& lengths, const PreferenceColumns& columns) {
  std::vector<TokenizedNegative> negatives;
  negatives.push_back(
      {pair.rejected_input_ids, pair.rejected_prompt_length, NegativeSource::rejected});
  for (std::size_t i = 0; i < extra.size(); ++i) {
    const auto& [value, source] = extra[i];
    const std::string what =
        "column '" + (source == NegativeSource::hard ? columns.hard_negatives : columns.negatives) +
        "' answer " + std::to_string(i);
    Row answer =
        prompt_was_implicit ? data_detail::answer_after_prompt(value, base["prompt"], what) : value;
    if (as_chat) answer = data_detail::conversation_of_answer(answer);
    if (is_conversational(answer) != is_conversational(base["chosen"])) {
      throw Error(what + " is " + (is_conversational(answer) ? "a list of messages" : "a string") +
                  " but the chosen answer is not: every answer of a row has one format");
    }
    Row row = base;
    row["rejected"] = std::move(answer);
    const TokenizedPreference tokenized =
        tokenize_row(tokenizer, maybe_apply_chat_template(row, templates), lengths);
    negatives.push_back({tokenized.rejected_input_ids, tokenized.rejected_prompt_length, source});
  }
  return negatives;
}

Outcome process_row(const Dataset& dataset, std::size_t index, const Tokenizer& tokenizer,
                    const ModelChatTemplates& templates, const PreferenceTokenization& settings) {
  const PreferenceLengths& lengths = settings.lengths;
  Outcome outcome;
  try {
    data_detail::PreferenceRowParts parts =
        data_detail::split_preference_row(dataset.row(index), settings.columns);
    // A row without `rejected` uses its first listed negative in TRL's rejected slot.
    if (!parts.row.contains("rejected")) {
      parts.row["rejected"] = parts.extra_negatives.front().first;
      parts.extra_negatives.erase(parts.extra_negatives.begin());
    }
    const bool prompt_was_implicit = !parts.row.contains("prompt");
    Row base = maybe_extract_prompt(parts.row);
    const bool as_chat =
        base["chosen"].is_string() && (settings.strings_as_chat || !parts.system.empty());
    if (as_chat || !parts.system.empty()) {
      base["prompt"] = data_detail::conversation_of_prompt(base["prompt"], parts.system);
    }
    if (as_chat) {
      base["chosen"] = data_detail::conversation_of_answer(base["chosen"]);
      base["rejected"] = data_detail::conversation_of_answer(base["rejected"]);
    }
    if (data_detail::is_empty_answer(base["chosen"])) {
      outcome.kind = Outcome::Kind::Unusable;
      outcome.reason = "its chosen answer is empty";
      return outcome;
    }
    outcome.pair = tokenize_row(tokenizer, maybe_apply_chat_template(base, templates), lengths);
    outcome.pair.source_row = index;
    if (outcome.pair.chosen_answer_length() == 0) {
      outcome.kind = Outcome::Kind::EmptyAnswer;
      outcome.reason =
          "chosen answer truncated to nothing (" + truncation_note(outcome.pair, lengths) + ")";
      return outcome;
    }
    std::vector<TokenizedNegative> negatives =
        tokenize_negatives(base, parts.extra_negatives, outcome.pair, prompt_was_implicit, as_chat,
                           tokenizer, templates, lengths, settings.columns);
    // An answer written empty is no answer (tokenized it would still be TRL's EOS).
    std::vector<bool> written_empty = {data_detail::is_empty_answer(base["rejected"])};
    for (const auto& extra : parts.extra_negatives) {
      written_empty.push_back(data_detail::is_empty_answer(extra.first));
    }
    if (negatives.size() == 1 && negatives.front().answer_length() == 0) {
      // TRL's pair: its emptied rejected answer follows the empty_answer policy.
      outcome.kind = Outcome::Kind::EmptyAnswer;
      outcome.reason =
          "rejected answer truncated to nothing (" + truncation_note(outcome.pair, lengths) + ")";
      return outcome;
    }
    // A negative equal to the chosen answer teaches nothing, and an empty one is no answer.
    const std::vector<std::int32_t>& chosen = outcome.pair.chosen_input_ids;
    std::vector<TokenizedNegative> kept;
    for (std::size_t k = 0; k < negatives.size(); ++k) {
      TokenizedNegative& negative = negatives[k];
      if (written_empty[k] || negative.answer_length() == 0 || negative.input_ids == chosen) {
        ++outcome.dropped_negatives;
      } else {
        kept.push_back(std::move(negative));
      }
    }
    if (kept.empty()) {
      outcome.dropped_negatives = 0;  // counted as a skipped row instead
      outcome.kind = Outcome::Kind::Unusable;
      outcome.reason = negatives.size() == 1
                           ? (written_empty[0] ? "its rejected answer is empty"
                                               : "its rejected answer equals the chosen one")
                           : "each of its " + std::to_string(negatives.size()) +
                                 " negatives is empty or equals the chosen answer";
      return outcome;
    }
    outcome.pair.rejected_input_ids = std::move(kept.front().input_ids);
    outcome.pair.rejected_prompt_length = kept.front().prompt_length;
    outcome.pair.more_negatives.assign(std::make_move_iterator(kept.begin() + 1),
                                       std::make_move_iterator(kept.end()));
  } catch (const RejectedPreferenceRow& error) {
    outcome.kind = Outcome::Kind::Invalid;
    outcome.reason = error.what();
  } catch (const ChatTemplateError& error) {
    outcome.kind = Outcome::Kind::Invalid;
    outcome.reason = std::string("the chat template refused the conversation: ") + error.what();
  } catch (const Error& error) {
    outcome.kind = Outcome::Kind::Malformed;
    outcome.reason = error.what();
  }
  return outcome;
}

}  // namespace

OptionDocs PreferenceTokenization::options() {
  return {
      {"max_length", "int", "1024", "longest prompt + answer in tokens (TRL's CPOConfig)"},
      {"max_prompt_length", "int", "512", "longest prompt in tokens when a pair is too long"},
      {"truncation_mode", "string", "keep_end",
       "which part of a long prompt to keep: keep_end or keep_start"},
      {"empty_answer", "string", "skip",
       "a pair whose answer truncation leaves empty: skip (logged) or error"},
      {"invalid_row", "string", "skip",
       "a row TRL would refuse (prompt tokens differ, bad last role): skip (logged) or error"},
      {"prompt_column", "string", "prompt", "the column holding the prompt"},
      {"chosen_column", "string", "chosen", "the column holding the chosen answer"},
      {"rejected_column", "string", "rejected", "the column holding TRL's rejected answer"},
      {"system_column", "string", "system",
       "the column holding a system message for the prompt (optional)"},
      {"multiple_negatives_column", "string", "negatives",
       "the column holding a list of more negative answers (optional)"},
      {"hard_negatives_column", "string", "hard_negatives",
       "the column holding a list of hard negative answers (optional)"},
      {"strings_as_chat", "bool", "false",
       "render standard-format rows (strings) as a chat (user prompt, assistant answers) with "
       "the chat template; rows with a system message always are"},
      {"unusable_row", "string", "skip",
       "a row with an empty chosen answer, or whose every negative is empty or equal to the "
       "chosen answer: skip (counted, logged) or error"},
  };
}

PreferenceTokenization PreferenceTokenization::from_config(const Config& table) {
  PreferenceTokenization settings;
  // Longer than any model's context; a larger count is a typo.
  constexpr std::int64_t kMaxTokens = 1 << 30;
  settings.lengths.max_length = table.get_int("max_length", 1024, 1, kMaxTokens);
  settings.lengths.max_prompt_length = table.get_int("max_prompt_length", 512, 1, kMaxTokens);
  const std::string mode = table.get<std::string>("truncation_mode", "keep_end");
  if (mode == "keep_end") {
    settings.lengths.truncation_mode = TruncationMode::KeepEnd;
  } else if (mode == "keep_start") {
    settings.lengths.truncation_mode = TruncationMode::KeepStart;
  } else {
    table.fail("truncation_mode", "must be \"keep_end\" or \"keep_start\", not \"" + mode + "\"");
  }
  PreferenceColumns& columns = settings.columns;
  for (auto [key, column] :
       {std::pair{"prompt_column", &columns.prompt}, std::pair{"chosen_column", &columns.chosen},
        std::pair{"rejected_column", &columns.rejected},
        std::pair{"system_column", &columns.system},
        std::pair{"multiple_negatives_column", &columns.negatives},
        std::pair{"hard_negatives_column", &columns.hard_negatives}}) {
    *column = table.get<std::string>(key, *column);
    if (column->empty()) table.fail(key, "must name a column");
  }
  settings.strings_as_chat = table.get<bool>("strings_as_chat", false);
  settings.empty_answer = policy(table, "empty_answer");
  settings.invalid_row = policy(table, "invalid_row");
  settings.unusable_row = policy(table, "unusable_row");
  return settings;
}

std::string TokenizedPreferences::skip_summary() const {
  if (skipped.empty()) return "";
  std::vector<std::string> kinds;
  if (unusable_rows)
    kinds.push_back(std::to_string(unusable_rows) + " with an empty or repeated answer");
  if (empty_answers)
    kinds.push_back(std::to_string(empty_answers) + " with an answer truncated away");
  if (invalid_rows) kinds.push_back(std::to_string(invalid_rows) + " invalid");
  return std::to_string(skipped.size()) + " rows skipped (" + join(kinds) + "; the first at " +
         skipped.front().where + ")";
}

void TokenizedPreferences::log_summary(const std::string& name, std::size_t rows) const {
  if (!skipped.empty()) logger()->warn("{}: {} of {} rows", name, skip_summary(), rows);
  if (dropped_negatives > 0) {
    logger()->info(
        "{}: left out {} negative answer(s) that were empty or equal to the chosen "
        "answer, from rows that kept other negatives",
        name, dropped_negatives);
  }
}

TokenizedPreferences tokenize_preferences(const Dataset& dataset, const Tokenizer& tokenizer,
                                          const ModelChatTemplates& templates,
                                          const PreferenceTokenization& settings,
                                          const std::string& name) {
  std::vector<Outcome> outcomes(dataset.size());
  data_detail::parallel_for(dataset.size(), settings.threads, [&](std::size_t i) {
    outcomes[i] = process_row(dataset, i, tokenizer, templates, settings);
  });

  TokenizedPreferences out;
  out.pairs.reserve(dataset.size());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    Outcome& outcome = outcomes[i];
    out.dropped_negatives += outcome.dropped_negatives;
    if (outcome.kind == Outcome::Kind::Ok) {
      out.max_negatives = std::max(out.max_negatives, 1 + outcome.pair.more_negatives.size());
      out.pairs.push_back(std::move(outcome.pair));
      continue;
    }
    const std::string where = dataset.where(i);
    if (outcome.kind == Outcome::Kind::Malformed) {
      throw Error(where + ": " + name + " row " + std::to_string(i) + ": " + outcome.reason);
    }
    const bool empty = outcome.kind == Outcome::Kind::EmptyAnswer;
    const bool unusable = outcome.kind == Outcome::Kind::Unusable;
    const RowPolicy row_policy = empty      ? settings.empty_answer
                                 : unusable ? settings.unusable_row
                                            : settings.invalid_row;
    if (row_policy == RowPolicy::Error) {
      throw Error(where + ": " + name + " row " + std::to_string(i) + ": " + outcome.reason +
                  (empty ? "\n  raise max_length, lower max_prompt_length, or set empty_answer = "
                           "\"skip\" to leave such rows out"
                   : unusable
                       ? "\n  fix the row, or set unusable_row = \"skip\" to leave such rows out"
                       : "\n  fix the row, or set invalid_row = \"skip\" to leave such rows out"));
    }
    if (out.skipped.size() < kLoggedSkips) {
      logger()->warn("{}: skipped {} row {}: {}", where, name, i, outcome.reason);
    }
    (empty ? out.empty_answers : unusable ? out.unusable_rows : out.invalid_rows) += 1;
    out.skipped.push_back({i, where, std::move(outcome.reason)});
  }
  out.log_summary(name, dataset.size());
  if (out.pairs.empty() && !dataset.empty()) {
    const auto& first = out.skipped.front();
    throw Error(name + ": every row was skipped; the first, " + first.where + ", because " +
                first.reason);
  }
  return out;
}

}  // namespace wizard
