// Every case of trl_tokenization_cases.json: TRL's maybe_extract_prompt,
// maybe_apply_chat_template and CPOTrainer.tokenize_row, stage by stage, give
// exactly the recorded texts and ids. Cases TRL rejected (`error`) are checked
// against wizard's documented behaviour instead: the row never becomes a pair;
// it is skipped with invalid_row = "skip" or stops the run with "error".
// Cases are discovered from the file; the set folder comes from WIZARD_REFS.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

#include "test_support.hpp"
#include "wizard/data/preference_tokenization.hpp"

namespace wizard {
namespace {

using Json = nlohmann::ordered_json;

struct Model {
  Tokenizer tokenizer;
  ModelChatTemplates templates;
};

struct Fixture {
  Json file;
  std::map<std::string, Model> models;  // by the case's "tokenizer"
};

const Fixture& fixture() {
  static const Fixture loaded = [] {
    Fixture f;
    std::ifstream in(test::refs_dir() / "trl_tokenization_cases.json");
    if (!in) throw std::runtime_error("cannot open trl_tokenization_cases.json");
    f.file = Json::parse(in);  // ordered: chat templates may depend on key order
    for (const auto& [name, folder] : f.file.at("tokenizers").items()) {
      const auto path = test::refs_path(folder.get<std::string>());
      f.models.emplace(name, Model{Tokenizer::from_pretrained(path), load_chat_templates(path)});
    }
    return f;
  }();
  return loaded;
}

std::vector<std::string> case_ids() {
  std::vector<std::string> ids;
  for (const auto& test_case : fixture().file.at("cases")) ids.push_back(test_case.at("id"));
  return ids;
}

const Json& case_by_id(const std::string& id) {
  for (const auto& test_case : fixture().file.at("cases")) {
    if (test_case.at("id") == id) return test_case;
  }
  throw std::runtime_error("no case " + id);
}

PreferenceLengths lengths_of(const Json& settings) {
  PreferenceLengths lengths;
  lengths.max_length = settings.at("max_length");
  lengths.max_prompt_length = settings.at("max_prompt_length");
  lengths.truncation_mode = settings.at("truncation_mode") == "keep_start"
                                ? TruncationMode::KeepStart
                                : TruncationMode::KeepEnd;
  return lengths;
}

std::optional<std::int32_t> optional_id(const Json& value) {
  if (value.is_null()) return std::nullopt;
  return value.get<std::int32_t>();
}

std::vector<std::int64_t> ints(const Json& value) {
  return value.get<std::vector<std::int64_t>>();
}

std::vector<std::int64_t> widen(const std::vector<std::int32_t>& ids) {
  return std::vector<std::int64_t>(ids.begin(), ids.end());
}

class GoldenTrlTokenization : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTrlTokenization, MatchesTrlStageByStage) {
  const Json& test_case = case_by_id(GetParam());
  const Model& model = fixture().models.at(test_case.at("tokenizer"));
  EXPECT_EQ(model.tokenizer.bos_token_id(), optional_id(test_case.at("bos_token_id")));
  EXPECT_EQ(model.tokenizer.eos_token_id(), optional_id(test_case.at("eos_token_id")));
  const PreferenceLengths lengths = lengths_of(test_case.at("settings"));

  if (test_case.contains("error")) {
    // TRL raised; wizard never turns the row into a pair. Next to a plain row:
    // skipped with "skip", an error naming the row with "error" (or, for a
    // malformed row, an error either way).
    Dataset dataset;
    dataset.append(test_case.at("row"), RowOrigin{"case.jsonl", 1});
    dataset.append(Json{{"prompt", "a"}, {"chosen", " b"}, {"rejected", " c"}},
                   RowOrigin{"case.jsonl", 2});
    PreferenceTokenization settings;
    settings.lengths = lengths;
    settings.invalid_row = RowPolicy::Error;
    try {
      tokenize_preferences(dataset, model.tokenizer, model.templates, settings);
      ADD_FAILURE() << "TRL rejected this row (" << test_case.at("error").dump()
                    << "), wizard accepted it with invalid_row = \"error\"";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("case.jsonl:1"), std::string::npos) << error.what();
    }
    settings.invalid_row = RowPolicy::Skip;
    try {
      const auto result = tokenize_preferences(dataset, model.tokenizer, model.templates, settings);
      ASSERT_EQ(result.pairs.size(), 1u);
      EXPECT_EQ(result.pairs[0].source_row, 1u);
      ASSERT_EQ(result.skipped.size(), 1u);
      EXPECT_EQ(result.skipped[0].where, "case.jsonl:1");
    } catch (const Error& error) {
      // Malformed rows stop the run whatever the policy.
      EXPECT_NE(std::string(error.what()).find("case.jsonl:1"), std::string::npos) << error.what();
    }
    return;
  }

  const Row extracted = maybe_extract_prompt(test_case.at("row"));
  const Json& expected_extracted = test_case.at("after_maybe_extract_prompt");
  for (const char* key : {"prompt", "chosen", "rejected"}) {
    EXPECT_EQ(extracted.at(key), expected_extracted.at(key)) << "maybe_extract_prompt: " << key;
  }

  const PreferenceText text = maybe_apply_chat_template(extracted, model.templates);
  const Json& expected_text = test_case.at("after_maybe_apply_chat_template");
  EXPECT_EQ(text.prompt, expected_text.at("prompt"));
  EXPECT_EQ(text.chosen, expected_text.at("chosen"));
  EXPECT_EQ(text.rejected, expected_text.at("rejected"));

  // Tokenize the recorded text, so this stage is checked on its own.
  const PreferenceText recorded{expected_text.at("prompt"), expected_text.at("chosen"),
                                expected_text.at("rejected")};
  const TokenizedPreference pair = tokenize_row(model.tokenizer, recorded, lengths);
  const Json& expected = test_case.at("tokenized");
  EXPECT_EQ(widen(pair.prompt_input_ids), ints(expected.at("prompt_input_ids")));
  EXPECT_EQ(widen(pair.chosen_input_ids), ints(expected.at("chosen_input_ids")));
  EXPECT_EQ(pair.chosen_labels(), ints(expected.at("chosen_labels")));
  EXPECT_EQ(widen(pair.rejected_input_ids), ints(expected.at("rejected_input_ids")));
  EXPECT_EQ(pair.rejected_labels(), ints(expected.at("rejected_labels")));
  // TRL's attention masks are all ones over each sequence.
  for (const char* key : {"prompt", "chosen", "rejected"}) {
    const auto mask = ints(expected.at(std::string(key) + "_attention_mask"));
    const auto ids = ints(expected.at(std::string(key) + "_input_ids"));
    EXPECT_EQ(mask, std::vector<std::int64_t>(ids.size(), 1)) << key;
  }
}

// The whole pipeline over one dataset of every accepted row at once (threads,
// order, source rows) gives the same pairs as TRL for each.
TEST(GoldenTrlTokenizationDataset, PipelineOverAllRowsMatches) {
  std::map<std::pair<std::string, std::string>, std::vector<const Json*>> groups;
  for (const auto& test_case : fixture().file.at("cases")) {
    if (test_case.contains("error")) continue;
    groups[{test_case.at("tokenizer"), test_case.at("settings").dump()}].push_back(&test_case);
  }
  ASSERT_FALSE(groups.empty());
  for (const auto& [key, cases] : groups) {
    const Model& model = fixture().models.at(key.first);
    Dataset dataset;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      dataset.append(cases[i]->at("row"),
                     RowOrigin{"cases.jsonl", static_cast<std::int64_t>(i + 1)});
    }
    PreferenceTokenization settings;
    settings.lengths = lengths_of(cases.front()->at("settings"));
    settings.threads = 2;
    const auto result = tokenize_preferences(dataset, model.tokenizer, model.templates, settings);
    ASSERT_EQ(result.pairs.size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
      SCOPED_TRACE(cases[i]->at("id").get<std::string>());
      const Json& expected = cases[i]->at("tokenized");
      EXPECT_EQ(result.pairs[i].source_row, i);
      EXPECT_EQ(widen(result.pairs[i].chosen_input_ids), ints(expected.at("chosen_input_ids")));
      EXPECT_EQ(result.pairs[i].rejected_labels(), ints(expected.at("rejected_labels")));
      EXPECT_EQ(widen(result.pairs[i].prompt_input_ids), ints(expected.at("prompt_input_ids")));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTrlTokenization, ::testing::ValuesIn(case_ids()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (auto& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace wizard
