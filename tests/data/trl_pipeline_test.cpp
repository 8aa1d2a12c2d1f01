// wizard's own cases for the TRL pipeline: BOS/EOS present or not, both
// truncation modes, answer truncation, the merged-token boundary, the
// empty-answer and invalid-row policies, and extract_prompt's quirks. Expected
// ids are built from the tokenizer's encodings of the parts, following the
// steps of TRL's tokenize_row written out in each test.
#include <spdlog/sinks/ringbuffer_sink.h>

#include "data_test_util.hpp"
#include "wizard/base/log.hpp"
#include "wizard/data/preference_tokenization.hpp"

namespace wizard {
namespace {

using Ids = std::vector<std::int32_t>;
using test::error_of;

const Tokenizer& qwen3() {
  static const Tokenizer tokenizer =
      Tokenizer::from_pretrained(test::refs_path("public/tokenizers/qwen3"));
  return tokenizer;
}
const Tokenizer& llama3() {
  static const Tokenizer tokenizer =
      Tokenizer::from_pretrained(test::refs_path("public/tokenizers/llama3"));
  return tokenizer;
}
const ModelChatTemplates& qwen3_templates() {
  static const ModelChatTemplates templates =
      load_chat_templates(test::refs_path("public/tokenizers/qwen3"));
  return templates;
}

Ids encode(const Tokenizer& tokenizer, const std::string& text) {
  return tokenizer.encode(text, false);
}

Ids join(Ids a, const Ids& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(TrlTokenizeRow, BosIsAddedOnlyWhenMissing) {
  const std::int32_t bos = *llama3().bos_token_id();
  const auto without = tokenize_row(llama3(), {"Hi there", " yes", " no"}, {});
  EXPECT_EQ(without.prompt_input_ids, join({bos}, encode(llama3(), "Hi there")));
  EXPECT_EQ(without.chosen_input_ids[0], bos);
  EXPECT_EQ(without.chosen_prompt_length, without.prompt_input_ids.size());

  const auto with = tokenize_row(llama3(), {"<|begin_of_text|>Hi there", " yes", " no"}, {});
  EXPECT_EQ(with.prompt_input_ids, without.prompt_input_ids);  // no second BOS
  EXPECT_EQ(with.chosen_input_ids, without.chosen_input_ids);

  // Qwen3 has no BOS token: nothing is added.
  const auto qwen = tokenize_row(qwen3(), {"Hi there", " yes", " no"}, {});
  EXPECT_EQ(qwen.prompt_input_ids, encode(qwen3(), "Hi there"));
}

TEST(TrlTokenizeRow, EosIsAddedOnlyWhenMissing) {
  const std::int32_t eos = *qwen3().eos_token_id();
  const auto pair = tokenize_row(qwen3(), {"Q:", " yes<|im_end|>", " no"}, {});
  EXPECT_EQ(pair.chosen_input_ids, join(encode(qwen3(), "Q:"), encode(qwen3(), " yes<|im_end|>")));
  EXPECT_EQ(pair.rejected_input_ids,
            join(join(encode(qwen3(), "Q:"), encode(qwen3(), " no")), {eos}));
  EXPECT_EQ(pair.chosen_labels()[pair.chosen_prompt_length], encode(qwen3(), " yes")[0]);
  // A tokenizer without special tokens (tokenizer.json alone) adds no EOS.
  const Tokenizer bare =
      Tokenizer::from_file(test::refs_path("public/tokenizers/qwen3/tokenizer.json"));
  const auto plain = tokenize_row(bare, {"Q:", " yes", " no"}, {});
  EXPECT_EQ(plain.chosen_input_ids, encode(qwen3(), "Q: yes"));
}

// A prompt of many tokens and short answers: TRL cuts the prompt to
// max_prompt_length tokens from its end (keep_end) or start (keep_start)
// when prompt + the longer answer exceed max_length.
TEST(TrlTokenizeRow, PromptTruncationKeepEndAndKeepStart) {
  const std::string prompt = "one two three four five six seven eight nine ten:";
  const Ids prompt_ids = encode(qwen3(), prompt);
  const Ids answer = encode(qwen3(), " yes");
  ASSERT_GT(prompt_ids.size(), 6u);
  const std::int32_t eos = *qwen3().eos_token_id();
  PreferenceLengths lengths;
  lengths.max_length = 8;
  lengths.max_prompt_length = 4;
  lengths.truncation_mode = TruncationMode::KeepEnd;
  const auto end = tokenize_row(qwen3(), {prompt, " yes", " yes"}, lengths);
  const Ids last4(prompt_ids.end() - 4, prompt_ids.end());
  EXPECT_EQ(end.prompt_input_ids, last4);
  EXPECT_EQ(end.chosen_input_ids, join(join(last4, answer), {eos}));
  EXPECT_EQ(end.chosen_prompt_length, 4u);

  lengths.truncation_mode = TruncationMode::KeepStart;
  const auto start = tokenize_row(qwen3(), {prompt, " yes", " yes"}, lengths);
  const Ids first4(prompt_ids.begin(), prompt_ids.begin() + 4);
  EXPECT_EQ(start.prompt_input_ids, first4);
  EXPECT_EQ(start.rejected_input_ids, join(join(first4, answer), {eos}));

  // Short enough: nothing is cut.
  const auto whole = tokenize_row(qwen3(), {prompt, " yes", " yes"}, {});
  EXPECT_EQ(whole.prompt_input_ids, prompt_ids);
}

TEST(TrlTokenizeRow, AnswersAreCutToMaxLengthMinusMaxPromptLength) {
  const std::string prompt = "one two three four five six:";
  const Ids prompt_ids = encode(qwen3(), prompt);
  const Ids long_answer = encode(qwen3(), " alpha beta gamma delta epsilon");
  PreferenceLengths lengths;
  lengths.max_length = 6;
  lengths.max_prompt_length = 4;
  const auto pair =
      tokenize_row(qwen3(), {prompt, " alpha beta gamma delta epsilon", " no"}, lengths);
  // Prompt -> last 4; 4 + longer answer still > 6 -> both answers cut to 6 - 4 = 2 tokens.
  EXPECT_EQ(pair.chosen_answer_length(), 2u);
  EXPECT_EQ(Ids(pair.chosen_input_ids.begin() + 4, pair.chosen_input_ids.end()),
            Ids(long_answer.begin(), long_answer.begin() + 2));
  EXPECT_EQ(pair.rejected_answer_length(), 2u);  // " no" + EOS
}

TEST(TrlTokenizeRow, MergedBoundaryTokenMovesToTheAnswer) {
  // "Hello wor" + "ld" encodes " world" as one token: the prompt's last token
  // is not a prefix of the joint encoding, so the answer starts one earlier.
  const auto pair = tokenize_row(qwen3(), {"Hello wor", "ld!", "ms!"}, {});
  const Ids joint = encode(qwen3(), "Hello world!");
  EXPECT_EQ(pair.prompt_input_ids, Ids(joint.begin(), joint.begin() + pair.chosen_prompt_length));
  EXPECT_EQ(pair.chosen_prompt_length, encode(qwen3(), "Hello wor").size() - 1);
  const auto labels = pair.chosen_labels();
  EXPECT_EQ(labels[pair.chosen_prompt_length - 1], -100);
  EXPECT_EQ(labels[pair.chosen_prompt_length], joint[pair.chosen_prompt_length]);
}

Dataset dataset_of(const std::vector<Row>& rows) {
  Dataset out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out.append(rows[i], RowOrigin{"pairs.jsonl", static_cast<std::int64_t>(i + 1)});
  }
  return out;
}

TEST(PreferencePolicies, EmptiedAnswerIsSkippedOrStops) {
  // max_length == max_prompt_length: a long row's answers are cut to 0 tokens
  // (TRL trains on such rows); a short row is untouched.
  const Dataset rows = dataset_of({
      Row{{"prompt", "one two three four five six seven"}, {"chosen", " yes"}, {"rejected", " no"}},
      Row{{"prompt", "Hi"}, {"chosen", " yes"}, {"rejected", " no"}},
  });
  PreferenceTokenization settings;
  settings.lengths.max_length = 4;
  settings.lengths.max_prompt_length = 4;
  const auto result = tokenize_preferences(rows, qwen3(), qwen3_templates(), settings);
  ASSERT_EQ(result.pairs.size(), 1u);
  EXPECT_EQ(result.pairs[0].source_row, 1u);
  EXPECT_EQ(result.empty_answers, 1u);
  ASSERT_EQ(result.skipped.size(), 1u);
  EXPECT_EQ(result.skipped[0].where, "pairs.jsonl:1");
  EXPECT_CONTAINS(result.skipped[0].reason, "answer truncated to nothing");
  // TRL's own output for that row has an empty answer.
  EXPECT_EQ(
      tokenize_row(qwen3(), {"one two three four five six seven", " yes", " no"}, settings.lengths)
          .chosen_answer_length(),
      0u);

  settings.empty_answer = RowPolicy::Error;
  EXPECT_CONTAINS(
      error_of([&] { tokenize_preferences(rows, qwen3(), qwen3_templates(), settings); }),
      "pairs.jsonl:1: train row 0: chosen answer truncated to nothing");
}

TEST(PreferencePolicies, EverySkippedRowIsAnError) {
  const Dataset rows = dataset_of(
      {Row{{"prompt", "one two three four five"}, {"chosen", " a"}, {"rejected", " b"}}});
  PreferenceTokenization settings;
  settings.lengths.max_length = 3;
  settings.lengths.max_prompt_length = 3;
  EXPECT_CONTAINS(error_of([&] {
                    tokenize_preferences(rows, qwen3(), qwen3_templates(), settings, "validation");
                  }),
                  "validation: every row was skipped; the first, pairs.jsonl:1, because");
}

TEST(PreferencePolicies, InvalidRowsAreSkippedOrStopMalformedOnesAlwaysStop) {
  const Row system_last = Row::parse(R"({"prompt": [{"role": "system", "content": "s"}],
      "chosen": [{"role": "assistant", "content": "a"}], "rejected": [{"role": "assistant", "content": "b"}]})");
  const Row fine{{"prompt", "Hi"}, {"chosen", " a"}, {"rejected", " b"}};
  PreferenceTokenization settings;
  const auto result =
      tokenize_preferences(dataset_of({fine, system_last}), qwen3(), qwen3_templates(), settings);
  EXPECT_EQ(result.pairs.size(), 1u);
  EXPECT_EQ(result.invalid_rows, 1u);
  EXPECT_CONTAINS(result.skipped.at(0).reason, "Invalid role in the last message: system");
  settings.invalid_row = RowPolicy::Error;
  EXPECT_CONTAINS(
      error_of([&] {
        tokenize_preferences(dataset_of({fine, system_last}), qwen3(), qwen3_templates(), settings);
      }),
      "pairs.jsonl:2: train row 1: Invalid role");

  settings.invalid_row = RowPolicy::Skip;
  const Row no_rejected{{"prompt", "Hi"}, {"chosen", " a"}};
  EXPECT_CONTAINS(
      error_of([&] {
        tokenize_preferences(dataset_of({fine, no_rejected}), qwen3(), qwen3_templates(), settings);
      }),
      "pairs.jsonl:2: train row 1: the row has no negative answer: neither a 'rejected' column");
  const Row mixed = Row::parse(
      R"({"prompt": "Hi", "chosen": " a", "rejected": [{"role": "assistant", "content": "b"}]})");
  EXPECT_CONTAINS(
      error_of(
          [&] { tokenize_preferences(dataset_of({mixed}), qwen3(), qwen3_templates(), settings); }),
      "pairs.jsonl:1: train row 0: 'prompt', 'chosen' and 'rejected' must all be strings");
}

TEST(TrlExtractPrompt, PythonLoopQuirksAreKept) {
  // A space before the first difference belongs to the answers.
  EXPECT_EQ(
      maybe_extract_prompt(Row{{"chosen", "The sky is blue"}, {"rejected", "The sky is green"}}),
      (Row{{"chosen", " blue"}, {"rejected", " green"}, {"prompt", "The sky is"}}));
  // Identical texts: the loop ends on its last index, leaving one character each.
  EXPECT_EQ(maybe_extract_prompt(Row{{"chosen", "abc"}, {"rejected", "abc"}})["prompt"], "ab");
  // A difference at the first character with chosen ending in a space: index -1.
  const Row odd = maybe_extract_prompt(Row{{"chosen", "x "}, {"rejected", "yz"}});
  EXPECT_EQ(odd["prompt"], "x");
  EXPECT_EQ(odd["chosen"], " ");
  EXPECT_EQ(odd["rejected"], "z");
  // Characters, not bytes: é and è share their first UTF-8 byte.
  EXPECT_EQ(maybe_extract_prompt(Row{{"chosen", "café"}, {"rejected", "cafè"}})["prompt"], "caf");
  EXPECT_THROW(maybe_extract_prompt(Row{{"chosen", ""}, {"rejected", "a"}}), RejectedPreferenceRow);
}

TEST(TrlExtractPrompt, MessagesCompareAsPythonDicts) {
  const Row row = Row::parse(R"({
      "prompt": "ignored: a string beside conversational answers",
      "chosen": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}],
      "rejected": [{"content": "Q", "role": "user"}, {"role": "assistant", "content": "B"}]})");
  const Row out = maybe_extract_prompt(row);
  EXPECT_EQ(out["prompt"], Row::parse(R"([{"role": "user", "content": "Q"}])"));
  EXPECT_EQ(out["rejected"], Row::parse(R"([{"role": "assistant", "content": "B"}])"));
  // Prompt and answers of the same kind are left alone.
  const Row kept{{"prompt", "P"}, {"chosen", "P a"}, {"rejected", "P b"}};
  EXPECT_EQ(maybe_extract_prompt(kept), kept);
}

TEST(TrlChatTemplate, AssistantLastPromptIsContinued) {
  // With ChatML, TRL continues the prompt's assistant message, and the answer
  // becomes what prompt+answer renders after it: the end of that turn and a
  // new assistant turn.
  ModelChatTemplates chatml;
  chatml.templates.emplace_back(chatml_template_source(), "default");
  const Row row = Row::parse(R"({"prompt": [{"role": "user", "content": "Q"},
      {"role": "assistant", "content": "The answer is"}],
      "chosen": [{"role": "assistant", "content": " yes"}],
      "rejected": [{"role": "assistant", "content": " no"}]})");
  const PreferenceText text = maybe_apply_chat_template(row, chatml);
  EXPECT_EQ(text.prompt, "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nThe answer is");
  EXPECT_EQ(text.chosen, "<|im_end|>\n<|im_start|>assistant\n yes<|im_end|>\n");
  EXPECT_EQ(text.rejected, "<|im_end|>\n<|im_start|>assistant\n no<|im_end|>\n");
  // A user turn last: the generation prompt ends the prompt.
  const Row asked = Row::parse(R"({"prompt": [{"role": "user", "content": "Q"}],
      "chosen": [{"role": "assistant", "content": "yes"}],
      "rejected": [{"role": "assistant", "content": "no"}]})");
  const PreferenceText plain = maybe_apply_chat_template(asked, chatml);
  EXPECT_EQ(plain.prompt, "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(plain.chosen, "yes<|im_end|>\n");
}

TEST(PreferenceTokenizationConfig, ReadsAndChecksOptions) {
  ConfigValue root = ConfigValue::table();
  root.set("max_length", ConfigValue::integer(64));
  root.set("truncation_mode", ConfigValue::string("keep_start"));
  root.set("empty_answer", ConfigValue::string("error"));
  const auto settings = PreferenceTokenization::from_config(Config(root));
  EXPECT_EQ(settings.lengths.max_length, 64);
  EXPECT_EQ(settings.lengths.max_prompt_length, 512);
  EXPECT_EQ(settings.lengths.truncation_mode, TruncationMode::KeepStart);
  EXPECT_EQ(settings.empty_answer, RowPolicy::Error);
  EXPECT_EQ(settings.invalid_row, RowPolicy::Skip);
  EXPECT_EQ(settings.unusable_row, RowPolicy::Skip);
  root.set("unusable_row", ConfigValue::string("error"));
  EXPECT_EQ(PreferenceTokenization::from_config(Config(root)).unusable_row, RowPolicy::Error);
  root.set("invalid_row", ConfigValue::string("ignore"));
  EXPECT_CONTAINS(error_of([&] { PreferenceTokenization::from_config(Config(root)); }),
                  "invalid_row: must be \"skip\" or \"error\"");
}

TEST(PreferencePolicies, RowsWithoutAPreferenceAreSkippedCountedAndPlaced) {
  // TRL trains on these without a word: an empty answer, or rejected equal to chosen.
  const Dataset rows = dataset_of({
      Row{{"prompt", "Hi"}, {"chosen", " a"}, {"rejected", " b"}},
      Row{{"prompt", "Hi"}, {"chosen", ""}, {"rejected", " b"}},
      Row{{"prompt", "Hi"}, {"chosen", " same"}, {"rejected", " same"}},
      Row::parse(R"({"prompt": [{"role": "user", "content": "q"}],
          "chosen": [{"role": "assistant", "content": "a"}],
          "rejected": [{"role": "assistant", "content": "  "}]})"),
      Row{{"prompt", "Hi"}, {"chosen", " c"}, {"rejected", " d"}},
  });
  auto log = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
  log->set_pattern("%v");
  logger()->sinks().push_back(log);
  PreferenceTokenization settings;
  const auto result = tokenize_preferences(rows, qwen3(), qwen3_templates(), settings);
  logger()->sinks().pop_back();
  std::string logged;
  for (const auto& line : log->last_formatted()) logged += line;
  ASSERT_EQ(result.pairs.size(), 2u);
  EXPECT_EQ(result.pairs[1].source_row, 4u);
  EXPECT_EQ(result.unusable_rows, 3u);
  ASSERT_EQ(result.skipped.size(), 3u);
  EXPECT_EQ(result.skipped[0].where, "pairs.jsonl:2");
  EXPECT_EQ(result.skipped[0].reason, "its chosen answer is empty");
  EXPECT_EQ(result.skipped[1].where, "pairs.jsonl:3");
  EXPECT_EQ(result.skipped[1].reason, "its rejected answer equals the chosen one");
  EXPECT_EQ(result.skipped[2].reason, "its rejected answer is empty");
  EXPECT_EQ(result.skip_summary(),
            "3 rows skipped (3 with an empty or repeated answer; the first at pairs.jsonl:2)");
  EXPECT_CONTAINS(logged, "pairs.jsonl:3: skipped train row 2");
  EXPECT_CONTAINS(logged, "train: 3 rows skipped");

  settings.unusable_row = RowPolicy::Error;
  EXPECT_CONTAINS(
      error_of([&] { tokenize_preferences(rows, qwen3(), qwen3_templates(), settings); }),
      "pairs.jsonl:2: train row 1: its chosen answer is empty\n  fix the row, or set "
      "unusable_row = \"skip\"");
}

}  // namespace
}  // namespace wizard
