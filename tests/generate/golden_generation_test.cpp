// Greedy decoding with the KV cache against transformers' generate() (refs README, section
// F): every case of generation_cases.json in the golden set, token for token.
#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.hpp"
#include "wizard/model/generate.hpp"

namespace wizard::test {
namespace {

using model::CausalLM;
using model::GenerationConfig;

nlohmann::json generation_cases() {
  const auto path = refs_dir() / "generation_cases.json";
  if (!std::filesystem::exists(path)) return nlohmann::json::array();
  return read_json(path)["cases"];
}

std::string case_name(const nlohmann::json& c, std::size_t index) {
  std::string name = std::to_string(index) + "_" + c["model"].get<std::string>() + "_penalty_" +
                     std::to_string(c["repetition_penalty"].get<double>());
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

class GoldenGeneration : public ::testing::TestWithParam<std::size_t> {};

TEST_P(GoldenGeneration, GreedyTokensEqualTransformersGenerate) {
  const nlohmann::json c = generation_cases()[GetParam()];
  // float32 weights (a bf16 checkpoint is upcast exactly), as the reference ran.
  const CausalLM model =
      CausalLM::from_pretrained(refs_dir() / "models" / c["model"].get<std::string>(), at::kFloat);
  GenerationConfig config;
  config.max_new_tokens = c["max_new_tokens"].get<int64_t>();
  config.repetition_penalty = c["repetition_penalty"].get<double>();
  config.eos_token_ids = {c["eos_token_id"].get<int64_t>()};
  config.pad_token_id = c["pad_token_id"].get<int64_t>();
  const auto prompts = c["prompts"].get<std::vector<std::vector<int32_t>>>();
  const auto result = model::generate(model, prompts, config);

  const auto expected_rows = c["generated"].get<std::vector<std::vector<int32_t>>>();
  ASSERT_EQ(result.sequences.size(), expected_rows.size());
  for (std::size_t r = 0; r < expected_rows.size(); ++r) {
    SCOPED_TRACE("row " + std::to_string(r));
    // transformers keeps the first EOS and pads the row after it.
    const auto& row = expected_rows[r];
    const auto eos = std::find(row.begin(), row.end(), config.eos_token_ids[0]);
    const std::vector<int32_t> expected(row.begin(), eos == row.end() ? row.end() : eos + 1);
    EXPECT_EQ(result.sequences[r].tokens, expected);
    for (std::size_t t = expected.size(); t < row.size(); ++t) {
      EXPECT_EQ(row[t], *config.pad_token_id) << "a reference row continues after its EOS";
    }
  }
}

std::vector<std::size_t> case_indices() {
  std::vector<std::size_t> indices(generation_cases().size());
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = i;
  return indices;
}

INSTANTIATE_TEST_SUITE_P(Refs, GoldenGeneration, ::testing::ValuesIn(case_indices()),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return case_name(generation_cases()[info.param], info.param);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenGeneration);

}  // namespace
}  // namespace wizard::test
