// init_model: folder contents, transformers' initialisation, seeds, presets and options.
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <cmath>

#include "model_test_support.hpp"
#include "test_support.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::test {
namespace {

using model::CausalLM;
using model::InitModelOptions;
namespace fs = std::filesystem;

TEST(InitModel, WritesALoadableHuggingFaceFolder) {
  InitModelOptions options;  // tiny qwen2, tied
  const fs::path folder = init_model_folder(options);
  for (const char* file : {"config.json", "generation_config.json", "model.safetensors",
                           "tokenizer.json", "tokenizer_config.json"}) {
    EXPECT_TRUE(fs::exists(folder / file)) << file;
  }
  const auto config = read_json(folder / "config.json");
  EXPECT_EQ(config.at("architectures")[0], "Qwen2ForCausalLM");
  EXPECT_EQ(config.at("vocab_size"), 320);  // 259 tokens rounded up to a multiple of 64
  EXPECT_EQ(config.at("eos_token_id"), 258);
  const CausalLM model = CausalLM::from_pretrained(folder);
  EXPECT_EQ(model.config().hidden_size, 64);
  EXPECT_TRUE(model.config().tie_word_embeddings);
  EXPECT_FALSE(safetensors::Checkpoint::open(folder).contains("lm_head.weight"));
}

TEST(InitModel, InitialisesAsTransformersInitWeights) {
  InitModelOptions options;
  options.architecture = "llama";
  options.hidden_size = 128;
  options.tie_word_embeddings = false;
  options.initializer_range = 0.05;
  const CausalLM model = CausalLM::from_pretrained(init_model_folder(options));
  int weights = 0;
  for (const auto& [name, tensor] : model.named_parameters()) {
    SCOPED_TRACE(name);
    if (name.find("norm") != std::string::npos) {
      EXPECT_TRUE(at::equal(tensor, at::ones_like(tensor)));
    } else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
      EXPECT_TRUE(at::equal(tensor, at::zeros_like(tensor)));
    } else {
      // N(0, 0.05) over >= 8192 draws: mean and std within a few standard errors.
      EXPECT_NEAR(tensor.mean().item<double>(), 0.0, 5 * 0.05 / std::sqrt(tensor.numel()));
      EXPECT_NEAR(tensor.std().item<double>(), 0.05, 0.05 * 0.05);
      ++weights;
    }
  }
  EXPECT_EQ(weights, 1 + 2 * 7 + 1);  // embeddings, 7 linears per layer, lm_head
}

TEST(InitModel, QwenBiasesAreZero) {
  const CausalLM model = CausalLM::from_pretrained(init_model_folder(InitModelOptions{}));
  const at::Tensor bias = model.weights().layers[0].self_attn.q_proj_bias;
  ASSERT_TRUE(bias.defined());
  EXPECT_TRUE(at::equal(bias, at::zeros_like(bias)));
}

TEST(InitModel, TheSeedDeterminesTheWeights) {
  InitModelOptions options;
  options.seed = 7;
  const auto first = CausalLM::from_pretrained(init_model_folder(options)).named_parameters();
  const auto again = CausalLM::from_pretrained(init_model_folder(options)).named_parameters();
  options.seed = 8;
  const auto other = CausalLM::from_pretrained(init_model_folder(options)).named_parameters();
  EXPECT_TRUE(at::equal(first[0].second, again[0].second));
  EXPECT_FALSE(at::equal(first[0].second, other[0].second));
}

TEST(InitModel, EveryArchitectureAndDtypeLoadsAndRuns) {
  for (const std::string& architecture : model::supported_model_types()) {
    for (const char* dtype : {"float32", "bfloat16"}) {
      SCOPED_TRACE(architecture + " " + dtype);
      InitModelOptions options;
      options.architecture = architecture;
      options.dtype = dtype;
      options.head_dim = 32;  // heads * head_dim != hidden_size
      const fs::path folder = init_model_folder(options);
      EXPECT_EQ(read_json(folder / "config.json").at("torch_dtype"), dtype);
      const CausalLM model = CausalLM::from_pretrained(folder, model::dtype_from_name(dtype));
      EXPECT_EQ(model.config().head_dim, 32);
      const auto layout = model::AttentionLayout::packed({{3, 2}}, 5);
      at::NoGradGuard no_grad;
      const at::Tensor hidden =
          model.forward(at::arange(5, at::kLong).unsqueeze(0), layout.position_ids(), layout);
      EXPECT_EQ(hidden.sizes(), (std::vector<int64_t>{1, 5, 64}));
      EXPECT_TRUE(at::isfinite(hidden).all().item<bool>());
    }
  }
}

TEST(InitModel, PresetsHaveTheirModelsShapes) {
  const InitModelOptions qwen = InitModelOptions::preset("qwen2.5-0.5b");
  EXPECT_EQ(qwen.architecture, "qwen2");
  EXPECT_EQ(qwen.hidden_size, 896);
  EXPECT_EQ(qwen.num_hidden_layers, 24);
  EXPECT_EQ(qwen.num_attention_heads, 14);
  EXPECT_EQ(qwen.num_key_value_heads, 2);
  EXPECT_EQ(qwen.intermediate_size, 4864);
  EXPECT_EQ(qwen.vocab_size, 151936);
  EXPECT_TRUE(qwen.tie_word_embeddings);
  for (const std::string& name : InitModelOptions::preset_names()) {
    EXPECT_NO_THROW(InitModelOptions::preset(name)) << name;
  }
  expect_error_containing([] { InitModelOptions::preset("gpt-5"); }, {"gpt-5", "qwen2.5-0.5b"});
}

TEST(InitModel, OptionsAreSettableByNameFromText) {
  InitModelOptions options;
  for (const auto& option : model::init_model_options()) {
    // Every option reads back what it was set to.
    const std::string value = option.get(options);
    option.set(options, value);
    EXPECT_EQ(option.get(options), value) << option.name;
    EXPECT_FALSE(option.help.empty()) << option.name;
  }
  model::set_init_model_option(options, "hidden_size", "96");
  model::set_init_model_option(options, "head_dim", "none");
  model::set_init_model_option(options, "tie_word_embeddings", "false");
  model::set_init_model_option(options, "rope_theta", "500000");
  EXPECT_EQ(options.hidden_size, 96);
  EXPECT_FALSE(options.head_dim.has_value());
  EXPECT_FALSE(options.tie_word_embeddings);
  EXPECT_EQ(options.rope_theta, 500000.0);
  expect_error_containing([&] { model::set_init_model_option(options, "hiden_size", "1"); },
                          {"hiden_size", "hidden_size"});
  expect_error_containing([&] { model::set_init_model_option(options, "hidden_size", "1.5"); },
                          {"hidden_size", "integer"});
}

TEST(InitModel, InconsistentOptionsAreErrors) {
  InitModelOptions options;
  options.num_key_value_heads = 3;
  expect_error_containing([&] { init_model_folder(options); }, {"num_key_value_heads", "divide"});
  options = InitModelOptions{};
  options.vocab_size = 100;
  expect_error_containing([&] { init_model_folder(options); }, {"vocab_size", "259"});
  options = InitModelOptions{};
  options.architecture = "gpt2";
  expect_error_containing([&] { init_model_folder(options); }, {"gpt2", "llama"});
}

}  // namespace
}  // namespace wizard::test
