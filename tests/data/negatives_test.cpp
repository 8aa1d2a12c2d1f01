// Rows with several negatives: each extra negative is tokenized exactly as TRL tokenizes a
// rejected answer (the rejected part of tokenize_row(prompt, chosen, negative)), in standard
// and conversational format, with configurable columns and a system column; negatives equal
// to the chosen answer or empty are left out and counted, and a row left without any is
// skipped; a bad value is an error naming the file, line and column.
#include "data_test_util.hpp"
#include "wizard/data/preference_tokenization.hpp"

namespace wizard {
namespace {

using test::error_of;

const Tokenizer& qwen3() {
  static const Tokenizer tokenizer =
      Tokenizer::from_pretrained(test::refs_path("public/tokenizers/qwen3"));
  return tokenizer;
}
const ModelChatTemplates& qwen3_templates() {
  static const ModelChatTemplates templates =
      load_chat_templates(test::refs_path("public/tokenizers/qwen3"));
  return templates;
}

Dataset dataset_of(const std::vector<Row>& rows) {
  Dataset out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out.append(rows[i], RowOrigin{"rows.jsonl", static_cast<std::int64_t>(i + 1)});
  }
  return out;
}

TokenizedPreferences tokenize(const std::vector<Row>& rows, PreferenceTokenization settings = {}) {
  settings.threads = 1;
  return tokenize_preferences(dataset_of(rows), qwen3(), qwen3_templates(), settings);
}

// What TRL makes of (prompt, chosen, answer): the rejected sequence and its prompt length.
std::pair<std::vector<std::int32_t>, std::size_t> trl_rejected(const Row& row) {
  const TokenizedPreference pair =
      tokenize_row(qwen3(), maybe_apply_chat_template(row, qwen3_templates()), {});
  return {pair.rejected_input_ids, pair.rejected_prompt_length};
}

TEST(Negatives, StandardRowsTokenizeEachNegativeAsTrlsRejected) {
  const Row row = Row::parse(R"({"prompt": "Capital of France?", "chosen": " Paris.",
      "rejected": " Lyon.", "negatives": [" Nice.", " I don't know."],
      "hard_negatives": [" Marseille."]})");
  const TokenizedPreferences out = tokenize({row});
  ASSERT_EQ(out.pairs.size(), 1u);
  const TokenizedPreference& pair = out.pairs[0];
  // TRL's pair is untouched by the extra columns.
  const TokenizedPreference trl =
      tokenize_row(qwen3(), {"Capital of France?", " Paris.", " Lyon."}, {});
  EXPECT_EQ(pair.chosen_input_ids, trl.chosen_input_ids);
  EXPECT_EQ(pair.rejected_input_ids, trl.rejected_input_ids);
  ASSERT_EQ(pair.more_negatives.size(), 3u);
  const std::vector<std::pair<std::string, NegativeSource>> expected = {
      {" Nice.", NegativeSource::listed},
      {" I don't know.", NegativeSource::listed},
      {" Marseille.", NegativeSource::hard}};
  for (std::size_t k = 0; k < expected.size(); ++k) {
    const auto [ids, prompt_length] = trl_rejected(
        {{"prompt", "Capital of France?"}, {"chosen", " Paris."}, {"rejected", expected[k].first}});
    EXPECT_EQ(pair.more_negatives[k].input_ids, ids) << k;
    EXPECT_EQ(pair.more_negatives[k].prompt_length, prompt_length) << k;
    EXPECT_EQ(pair.more_negatives[k].source, expected[k].second) << k;
  }
  EXPECT_EQ(out.max_negatives, 4u);
}

TEST(Negatives, ConversationalNegativesGoThroughTheChatTemplate) {
  const Row row = Row::parse(R"({
      "prompt": [{"role": "user", "content": "Capital of Spain?"}],
      "chosen": [{"role": "assistant", "content": "Madrid."}],
      "rejected": [{"role": "assistant", "content": "Barcelona."}],
      "negatives": [[{"role": "assistant", "content": "Seville."}]]})");
  const TokenizedPreferences out = tokenize({row});
  ASSERT_EQ(out.pairs[0].more_negatives.size(), 1u);
  Row as_rejected = row;
  as_rejected.erase("negatives");
  as_rejected["rejected"] = row["negatives"][0];
  EXPECT_EQ(out.pairs[0].more_negatives[0].input_ids, trl_rejected(as_rejected).first);
}

TEST(Negatives, ColumnsAreConfigurableAndASystemMessageMakesAChat) {
  PreferenceTokenization settings;
  settings.columns.prompt = "question";
  settings.columns.chosen = "good";
  settings.columns.rejected = "bad";
  settings.columns.system = "persona";
  settings.columns.negatives = "others";
  const Row row = Row::parse(R"({"question": "2+2?", "good": "4", "bad": "5",
      "persona": "Be brief.", "others": ["22"]})");
  const TokenizedPreferences out = tokenize({row}, settings);
  ASSERT_EQ(out.pairs.size(), 1u);
  // The row is rendered as system + user prompt, assistant answers.
  const Row chat = Row::parse(R"({
      "prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}],
      "chosen": [{"role": "assistant", "content": "4"}],
      "rejected": [{"role": "assistant", "content": "5"}]})");
  const TokenizedPreference trl =
      tokenize_row(qwen3(), maybe_apply_chat_template(chat, qwen3_templates()), {});
  EXPECT_EQ(out.pairs[0].chosen_input_ids, trl.chosen_input_ids);
  EXPECT_EQ(out.pairs[0].rejected_input_ids, trl.rejected_input_ids);
  Row other = chat;
  other["rejected"] = Row::parse(R"([{"role": "assistant", "content": "22"}])");
  EXPECT_EQ(out.pairs[0].more_negatives.at(0).input_ids, trl_rejected(other).first);
  // strings_as_chat renders rows without a system message as a chat too.
  settings.strings_as_chat = true;
  const Row plain = Row::parse(R"({"question": "2+2?", "good": "4", "bad": "5"})");
  Row plain_chat = chat;
  plain_chat["prompt"] = Row::parse(R"([{"role": "user", "content": "2+2?"}])");
  EXPECT_EQ(tokenize({plain}, settings).pairs[0].chosen_input_ids,
            tokenize_row(qwen3(), maybe_apply_chat_template(plain_chat, qwen3_templates()), {})
                .chosen_input_ids);
}

TEST(Negatives, NegativesEqualToChosenOrEmptyAreLeftOutAndCounted) {
  const Row some_bad = Row::parse(
      R"({"prompt": "Q", "chosen": " yes", "rejected": " yes", "negatives": [" no", " yes", ""]})");
  const Row all_bad =
      Row::parse(R"({"prompt": "Q", "chosen": " yes", "rejected": " yes", "negatives": [""]})");
  const Row pair_bad = Row::parse(R"({"prompt": "Q", "chosen": " yes", "rejected": " yes"})");
  const Row fine = Row::parse(R"({"prompt": "Q", "chosen": " yes", "rejected": " no"})");
  const TokenizedPreferences out = tokenize({some_bad, all_bad, pair_bad, fine});
  // Row 0 keeps " no" (it moves into TRL's rejected slot); rows 1 and 2 are skipped.
  ASSERT_EQ(out.pairs.size(), 2u);
  EXPECT_EQ(out.pairs[0].source_row, 0u);
  EXPECT_EQ(out.pairs[0].rejected_input_ids, out.pairs[1].rejected_input_ids);
  EXPECT_TRUE(out.pairs[0].more_negatives.empty());
  EXPECT_EQ(out.unusable_rows, 2u);
  EXPECT_EQ(out.dropped_negatives, 3u);  // row 0's rejected, " yes" and ""
  ASSERT_EQ(out.skipped.size(), 2u);
  EXPECT_EQ(out.skipped[0].where, "rows.jsonl:2");
  EXPECT_EQ(out.skipped[1].reason, "its rejected answer equals the chosen one");
}

TEST(Negatives, ARowWithoutRejectedUsesItsFirstNegative) {
  const Row row =
      Row::parse(R"({"prompt": "Q", "chosen": " yes", "negatives": [" no", " maybe"]})");
  const TokenizedPreferences out = tokenize({row});
  ASSERT_EQ(out.pairs.size(), 1u);
  EXPECT_EQ(out.pairs[0].rejected_input_ids,
            tokenize_row(qwen3(), {"Q", " yes", " no"}, {}).rejected_input_ids);
  ASSERT_EQ(out.pairs[0].more_negatives.size(), 1u);
}

TEST(Negatives, WithoutAPromptColumnNegativesAreWrittenWhole) {
  const Row row =
      Row::parse(R"({"chosen": "Q: yes", "rejected": "Q: no", "negatives": ["Q: maybe"]})");
  const TokenizedPreferences out = tokenize({row});
  ASSERT_EQ(out.pairs[0].more_negatives.size(), 1u);
  EXPECT_EQ(out.pairs[0].more_negatives[0].input_ids,
            tokenize_row(qwen3(), {"Q:", " yes", " maybe"}, {}).rejected_input_ids);
  const Row other_prompt =
      Row::parse(R"({"chosen": "Q: yes", "rejected": "Q: no", "negatives": ["R: maybe"]})");
  EXPECT_CONTAINS(error_of([&] {
                    tokenize({row, other_prompt});
                  }),
                  "rows.jsonl:2: train row 1: column 'negatives' answer 0 does not start with the "
                  "prompt that chosen and rejected share");
}

TEST(Negatives, BadValuesNameTheirColumn) {
  const Row fine = Row::parse(R"({"prompt": "Q", "chosen": " yes", "rejected": " no"})");
  const auto error = [&](const char* json) {
    return error_of([&] { tokenize({fine, Row::parse(json)}); });
  };
  EXPECT_CONTAINS(error(R"({"prompt": "Q", "chosen": " yes", "negatives": " no"})"),
                  "rows.jsonl:2: train row 1: column 'negatives' must be a list of answers");
  EXPECT_CONTAINS(error(R"({"prompt": "Q", "chosen": " yes", "hard_negatives": [" no", 3]})"),
                  "column 'hard_negatives[1]' must hold a string or a list of {role, content} "
                  "messages, not a number");
  EXPECT_CONTAINS(error(R"({"prompt": "Q", "chosen": " yes", "rejected": " no", "system": 1})"),
                  "column 'system' must hold a string");
  EXPECT_CONTAINS(error(R"({"prompt": "Q", "rejected": " no"})"), "the row has no 'chosen' column");
  EXPECT_CONTAINS(error(R"({"prompt": "Q", "chosen": " yes", "rejected": " no",
                "negatives": [[{"role": "assistant", "content": "x"}]]})"),
                  "column 'negatives' answer 0 is a list of messages but the chosen answer is not");
}

}  // namespace
}  // namespace wizard
