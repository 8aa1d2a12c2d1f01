// CPOTrainer.tokenize_row and build_tokenized_answer (trl/trainer/cpo_trainer.py)
// with add_bos_token_if_needed / add_eos_token_if_needed (trl/trainer/utils.py),
// for decoder-only models.
#include <algorithm>

#include "wizard/data/trl_preference.hpp"

namespace wizard {

namespace {

using Ids = std::vector<std::int32_t>;

struct Split {
  Ids prompt;  // the prompt's tokens as the joint encoding has them
  Ids answer;
};

// build_tokenized_answer: encode prompt+answer together; the answer starts where
// the prompt's own tokens end, one earlier when the tokenizer merged the
// prompt's last token with the answer's first.
Split split_answer(const Tokenizer& tokenizer, const Ids& prompt_ids, const std::string& joined) {
  const Ids full = tokenizer.encode(joined, /*add_special_tokens=*/false);
  if (full.size() < prompt_ids.size()) {
    throw RejectedPreferenceRow(
        "Prompt input ids and answer input ids should have the same length (the prompt alone "
        "encodes to more tokens than prompt + answer)");
  }
  std::size_t start = prompt_ids.size();
  if (!std::equal(prompt_ids.begin(), prompt_ids.end(), full.begin())) --start;
  return {Ids(full.begin(), full.begin() + start), Ids(full.begin() + start, full.end())};
}

// Python's v[:stop].
Ids head(const Ids& ids, std::int64_t stop) {
  const auto n = static_cast<std::int64_t>(ids.size());
  const std::int64_t end = stop < 0 ? std::max<std::int64_t>(0, n + stop) : std::min(stop, n);
  return Ids(ids.begin(), ids.begin() + end);
}

// Python's v[-count:] (count 0 keeps everything, as -0 == 0).
Ids tail(const Ids& ids, std::int64_t count) {
  const auto n = static_cast<std::int64_t>(ids.size());
  const std::int64_t begin = count == 0 ? 0 : std::max<std::int64_t>(0, n - count);
  return Ids(ids.begin() + begin, ids.end());
}

void add_bos_if_needed(Ids& ids, std::size_t length_before, std::int32_t bos) {
  if (length_before == 0 || ids.front() != bos) ids.insert(ids.begin(), bos);
}

void add_eos_if_needed(Ids& ids, std::int32_t eos) {
  if (ids.empty() || ids.back() != eos) ids.push_back(eos);
}

void truncate_prompt(Ids& prompt, std::size_t longer_answer, const PreferenceLengths& lengths) {
  if (static_cast<std::int64_t>(prompt.size() + longer_answer) <= lengths.max_length) return;
  prompt = lengths.truncation_mode == TruncationMode::KeepStart
               ? head(prompt, lengths.max_prompt_length)
               : tail(prompt, lengths.max_prompt_length);
}

std::vector<std::int64_t> labels(const Ids& ids, std::size_t prompt_length, std::int64_t ignore) {
  std::vector<std::int64_t> out(ids.begin(), ids.end());
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(prompt_length), ignore);
  return out;
}

}  // namespace

const char* negative_source_name(NegativeSource source) {
  switch (source) {
    case NegativeSource::rejected:
      return "rejected";
    case NegativeSource::listed:
      return "listed";
    case NegativeSource::hard:
      return "hard";
    case NegativeSource::mined:
      return "mined";
    case NegativeSource::in_batch:
      return "in_batch";
  }
  return "?";
}

std::vector<std::int64_t> TokenizedPreference::chosen_labels(std::int64_t ignore) const {
  return labels(chosen_input_ids, chosen_prompt_length, ignore);
}

std::vector<std::int64_t> TokenizedPreference::rejected_labels(std::int64_t ignore) const {
  return labels(rejected_input_ids, rejected_prompt_length, ignore);
}

TokenizedPreference tokenize_row(const Tokenizer& tokenizer, const PreferenceText& text,
                                 const PreferenceLengths& lengths) {
  Ids prompt = tokenizer.encode(text.prompt, /*add_special_tokens=*/false);
  Split chosen = split_answer(tokenizer, prompt, text.prompt + text.chosen);
  Split rejected = split_answer(tokenizer, prompt, text.prompt + text.rejected);

  const std::size_t chosen_prompt_length = chosen.prompt.size();
  const std::size_t rejected_prompt_length = rejected.prompt.size();
  const std::size_t prompt_length = std::min(chosen_prompt_length, rejected_prompt_length);
  prompt.resize(prompt_length);

  // Both answers must share the prompt up to the one merged token.
  std::size_t differing = 0;
  for (std::size_t i = 0; i < prompt_length; ++i)
    differing += chosen.prompt[i] != rejected.prompt[i];
  const std::size_t length_difference = chosen_prompt_length > rejected_prompt_length
                                            ? chosen_prompt_length - rejected_prompt_length
                                            : rejected_prompt_length - chosen_prompt_length;
  if (differing > 1 || length_difference > 1) {
    throw RejectedPreferenceRow(
        "Chosen and rejected prompt_input_ids might only differ on the last token due to "
        "tokenizer merge ops (the tokenizer joins the prompt with the answers differently)");
  }

  if (const auto bos = tokenizer.bos_token_id()) {
    add_bos_if_needed(prompt, prompt_length, *bos);
    add_bos_if_needed(chosen.prompt, chosen_prompt_length, *bos);
    add_bos_if_needed(rejected.prompt, rejected_prompt_length, *bos);
  }
  if (const auto eos = tokenizer.eos_token_id()) {
    add_eos_if_needed(chosen.answer, *eos);
    add_eos_if_needed(rejected.answer, *eos);
  }

  const std::size_t longer_answer = std::max(chosen.answer.size(), rejected.answer.size());
  for (Ids* ids : {&chosen.prompt, &rejected.prompt, &prompt}) {
    truncate_prompt(*ids, longer_answer, lengths);
  }
  for (Split* split : {&chosen, &rejected}) {
    if (static_cast<std::int64_t>(split->prompt.size() + longer_answer) > lengths.max_length) {
      split->answer = head(split->answer, lengths.max_length - lengths.max_prompt_length);
    }
  }

  TokenizedPreference out;
  out.prompt_input_ids = std::move(prompt);
  out.chosen_prompt_length = chosen.prompt.size();
  out.rejected_prompt_length = rejected.prompt.size();
  out.chosen_input_ids = std::move(chosen.prompt);
  out.chosen_input_ids.insert(out.chosen_input_ids.end(), chosen.answer.begin(),
                              chosen.answer.end());
  out.rejected_input_ids = std::move(rejected.prompt);
  out.rejected_input_ids.insert(out.rejected_input_ids.end(), rejected.answer.begin(),
                                rejected.answer.end());
  return out;
}

}  // namespace wizard
