#include "wizard/data/preference_tokenization.hpp"

#include <optional>

#include "parallel.hpp"
#include "wizard/base/log.hpp"
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
  enum class Kind { Ok, EmptyAnswer, Invalid, Malformed } kind = Kind::Ok;
  TokenizedPreference pair;
  std::string reason;
};

Outcome process_row(const Dataset& dataset, std::size_t index, const Tokenizer& tokenizer,
                    const ModelChatTemplates& templates, const PreferenceLengths& lengths) {
  Outcome outcome;
  try {
    const PreferenceText text =
        maybe_apply_chat_template(maybe_extract_prompt(dataset.row(index)), templates);
    outcome.pair = tokenize_row(tokenizer, text, lengths);
    outcome.pair.source_row = index;
    if (outcome.pair.chosen_answer_length() == 0 || outcome.pair.rejected_answer_length() == 0) {
      outcome.kind = Outcome::Kind::EmptyAnswer;
      outcome.reason =
          std::string(outcome.pair.chosen_answer_length() == 0 ? "chosen" : "rejected") +
          " answer truncated to nothing (prompt " +
          std::to_string(outcome.pair.prompt_input_ids.size()) + " tokens, max_length " +
          std::to_string(lengths.max_length) + ", max_prompt_length " +
          std::to_string(lengths.max_prompt_length) + ")";
    }
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
  };
}

PreferenceTokenization PreferenceTokenization::from_config(const Config& table) {
  PreferenceTokenization settings;
  settings.lengths.max_length = table.get<std::int64_t>("max_length", 1024);
  settings.lengths.max_prompt_length = table.get<std::int64_t>("max_prompt_length", 512);
  if (settings.lengths.max_length < 1) table.fail("max_length", "must be 1 or more");
  if (settings.lengths.max_prompt_length < 1) table.fail("max_prompt_length", "must be 1 or more");
  const std::string mode = table.get<std::string>("truncation_mode", "keep_end");
  if (mode == "keep_end") {
    settings.lengths.truncation_mode = TruncationMode::KeepEnd;
  } else if (mode == "keep_start") {
    settings.lengths.truncation_mode = TruncationMode::KeepStart;
  } else {
    table.fail("truncation_mode", "must be \"keep_end\" or \"keep_start\", not \"" + mode + "\"");
  }
  settings.empty_answer = policy(table, "empty_answer");
  settings.invalid_row = policy(table, "invalid_row");
  return settings;
}

TokenizedPreferences tokenize_preferences(const Dataset& dataset, const Tokenizer& tokenizer,
                                          const ModelChatTemplates& templates,
                                          const PreferenceTokenization& settings,
                                          const std::string& name) {
  std::vector<Outcome> outcomes(dataset.size());
  data_detail::parallel_for(dataset.size(), settings.threads, [&](std::size_t i) {
    outcomes[i] = process_row(dataset, i, tokenizer, templates, settings.lengths);
  });

  TokenizedPreferences out;
  out.pairs.reserve(dataset.size());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    Outcome& outcome = outcomes[i];
    if (outcome.kind == Outcome::Kind::Ok) {
      out.pairs.push_back(std::move(outcome.pair));
      continue;
    }
    const std::string where = dataset.where(i);
    if (outcome.kind == Outcome::Kind::Malformed) {
      throw Error(where + ": " + name + " row " + std::to_string(i) + ": " + outcome.reason);
    }
    const bool empty = outcome.kind == Outcome::Kind::EmptyAnswer;
    if ((empty ? settings.empty_answer : settings.invalid_row) == RowPolicy::Error) {
      throw Error(where + ": " + name + " row " + std::to_string(i) + ": " + outcome.reason +
                  (empty
                       ? "\n  raise max_length, lower max_prompt_length, or set empty_answer = "
                         "\"skip\" to leave such rows out"
                       : "\n  fix the row, or set invalid_row = \"skip\" to leave such rows out"));
    }
    if (out.skipped.size() < kLoggedSkips) {
      logger()->warn("{}: skipped {} row {}: {}", where, name, i, outcome.reason);
    }
    (empty ? out.empty_answers : out.invalid_rows) += 1;
    out.skipped.push_back({i, where, std::move(outcome.reason)});
  }
  if (!out.skipped.empty()) {
    logger()->warn("{}: skipped {} of {} rows ({} with an emptied answer, {} invalid)", name,
                   out.skipped.size(), dataset.size(), out.empty_answers, out.invalid_rows);
  }
  if (out.pairs.empty() && !dataset.empty()) {
    const auto& first = out.skipped.front();
    throw Error(name + ": every row was skipped; the first, " + first.where + ", because " +
                first.reason);
  }
  return out;
}

}  // namespace wizard
