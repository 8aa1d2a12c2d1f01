// ModelConfig: transformers' defaults per model_type, the rope_scaling spellings, sliding
// windows, and errors for what wizard does not implement.
#include <gtest/gtest.h>

#include "model_test_support.hpp"
#include "wizard/model/config.hpp"

namespace wizard::test {
namespace {

using model::ModelConfig;
using nlohmann::json;

json minimal(const std::string& model_type) {
  return {{"model_type", model_type}, {"hidden_size", 64},        {"intermediate_size", 128},
          {"num_hidden_layers", 2},   {"num_attention_heads", 4}, {"vocab_size", 100}};
}

TEST(ModelConfig, LlamaDefaultsFollowTransformers) {
  const ModelConfig c = ModelConfig::from_json(minimal("llama"));
  EXPECT_EQ(c.num_key_value_heads, 4);  // none given: one kv head per query head
  EXPECT_EQ(c.head_dim, 16);            // hidden_size / heads
  EXPECT_EQ(c.rope_theta, 10000.0);
  EXPECT_EQ(c.rope_scaling.type, "default");
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{2});
  EXPECT_FALSE(c.pad_token_id.has_value());
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_FALSE(c.qkv_bias || c.o_proj_bias || c.mlp_bias || c.qk_norm);
  EXPECT_FALSE(c.sliding_window.has_value());
}

TEST(ModelConfig, LlamaBiasesFollowAttentionBiasAndMlpBias) {
  json j = minimal("llama");
  j["attention_bias"] = true;
  j["mlp_bias"] = true;
  const ModelConfig c = ModelConfig::from_json(j);
  EXPECT_TRUE(c.qkv_bias && c.o_proj_bias && c.mlp_bias);
}

TEST(ModelConfig, Qwen2AlwaysHasQkvBiasButNoOutputBias) {
  json j = minimal("qwen2");
  j["attention_bias"] = false;  // not a Qwen2 key: ignored as transformers ignores it
  const ModelConfig c = ModelConfig::from_json(j);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.o_proj_bias || c.mlp_bias || c.qk_norm);
  EXPECT_FALSE(c.bos_token_id.has_value());
}

TEST(ModelConfig, Qwen3HasQkNormAndDefaultHeadDim128) {
  const ModelConfig c = ModelConfig::from_json(minimal("qwen3"));
  EXPECT_TRUE(c.qk_norm);
  EXPECT_EQ(c.head_dim, 128);
  json j = minimal("qwen3");
  j["head_dim"] = nullptr;  // null means "not given"
  EXPECT_EQ(ModelConfig::from_json(j).head_dim, 128);
}

TEST(ModelConfig, MistralSlidingWindowAppliesToEveryLayer) {
  json j = minimal("mistral");
  j["num_attention_heads"] = 16;
  EXPECT_EQ(ModelConfig::from_json(j).sliding_window, 4096);  // MistralConfig's default
  EXPECT_EQ(ModelConfig::from_json(j).num_key_value_heads, 8);
  j["sliding_window"] = 7;
  const ModelConfig c = ModelConfig::from_json(j);
  EXPECT_EQ(c.sliding_window_of_layer(0), 7);
  EXPECT_EQ(c.sliding_window_of_layer(1), 7);
  j["sliding_window"] = nullptr;
  EXPECT_FALSE(ModelConfig::from_json(j).sliding_window_of_layer(0).has_value());
}

TEST(ModelConfig, QwenSlidingWindowOnlyWhenEnabledAndFromMaxWindowLayers) {
  json j = minimal("qwen2");
  j["sliding_window"] = 32768;  // present in every Qwen2.5 config, unused there
  j["use_sliding_window"] = false;
  EXPECT_FALSE(ModelConfig::from_json(j).sliding_window_of_layer(1).has_value());
  j["use_sliding_window"] = true;
  j["sliding_window"] = 5;
  j["max_window_layers"] = 1;
  const ModelConfig c = ModelConfig::from_json(j);
  EXPECT_FALSE(c.sliding_window_of_layer(0).has_value());
  EXPECT_EQ(c.sliding_window_of_layer(1), 5);
}

TEST(ModelConfig, RopeScalingAcceptsBothTypeSpellings) {
  json j = minimal("llama");
  j["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
  EXPECT_EQ(ModelConfig::from_json(j).rope_scaling.type, "linear");
  j["rope_scaling"] = {{"rope_type", "llama3"},
                       {"factor", 8.0},
                       {"low_freq_factor", 1.0},
                       {"high_freq_factor", 4.0},
                       {"original_max_position_embeddings", 64}};
  const ModelConfig c = ModelConfig::from_json(j);
  EXPECT_EQ(c.rope_scaling.type, "llama3");
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 64);
  j["rope_scaling"] = {{"rope_type", "default"}};
  EXPECT_EQ(ModelConfig::from_json(j).rope_scaling.type, "default");
}

TEST(ModelConfig, EosMayBeAList) {
  json j = minimal("qwen2");
  j["eos_token_id"] = {151645, 151643};
  EXPECT_EQ(ModelConfig::from_json(j).eos_token_ids, (std::vector<int64_t>{151645, 151643}));
}

TEST(ModelConfig, UnknownModelTypeListsTheSupportedOnes) {
  expect_error_containing([] { ModelConfig::from_json(minimal("gpt2"), "x/config.json"); },
                          {"x/config.json", "gpt2", "llama, mistral, qwen2, qwen3"});
}

TEST(ModelConfig, RemoteCodeModelsAreRefusedNamingTheArchitecturesWizardRuns) {
  // The original Qwen (v1): its config.json maps transformers' Auto classes to the
  // repository's own Python files.
  json j = minimal("qwen");
  j["auto_map"] = {{"AutoConfig", "configuration_qwen.QWenConfig"},
                   {"AutoModelForCausalLM", "modeling_qwen.QWenLMHeadModel"}};
  expect_error_containing(
      [&] { ModelConfig::from_json(j, "Qwen-7B/config.json"); },
      {"Qwen-7B/config.json", "model_type 'qwen'", "needs remote code",
       "modeling_qwen.QWenLMHeadModel", "trust_remote_code", "llama, mistral, qwen2, qwen3"});
  // A supported model_type with an auto_map loads: transformers uses its built-in class.
  json builtin = minimal("qwen2");
  builtin["auto_map"] = j["auto_map"];
  EXPECT_EQ(ModelConfig::from_json(builtin).model_type, "qwen2");
}

TEST(ModelConfig, UnsupportedRopeTypesAreErrors) {
  for (const char* type : {"yarn", "dynamic", "longrope"}) {
    json j = minimal("llama");
    j["rope_scaling"] = {{"rope_type", type}, {"factor", 4.0}};
    expect_error_containing([&] { ModelConfig::from_json(j); },
                            {std::string("'") + type + "'", "default, linear, llama3"});
  }
}

TEST(ModelConfig, Llama3RopeNeedsAllItsKeys) {
  json j = minimal("llama");
  j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0}};
  expect_error_containing([&] { ModelConfig::from_json(j); }, {"high_freq_factor", "required"});
}

TEST(ModelConfig, OnlySiluActivationIsSupported) {
  json j = minimal("llama");
  j["hidden_act"] = "gelu";
  expect_error_containing([&] { ModelConfig::from_json(j); }, {"hidden_act", "gelu", "silu"});
}

TEST(ModelConfig, InconsistentShapesAreErrors) {
  json j = minimal("llama");
  j["num_key_value_heads"] = 3;
  expect_error_containing([&] { ModelConfig::from_json(j); }, {"num_key_value_heads", "divide"});
  j = minimal("llama");
  j["hidden_size"] = "big";
  expect_error_containing([&] { ModelConfig::from_json(j); }, {"hidden_size", "integer"});
}

TEST(ModelConfig, ToJsonKeepsTheOriginalAndUpdatesTheDtype) {
  json j = minimal("qwen2");
  j["some_future_key"] = {{"kept", true}};
  j["torch_dtype"] = "bfloat16";
  ModelConfig c = ModelConfig::from_json(j);
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  c.torch_dtype = "float32";
  json expected = j;
  expected["torch_dtype"] = "float32";
  EXPECT_EQ(c.to_json(), expected);
}

}  // namespace
}  // namespace wizard::test
