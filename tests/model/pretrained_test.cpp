// from_pretrained's checks (missing tensors, wrong shapes, unexpected tensors), dtypes and
// devices on load, and conversions.
#include <gtest/gtest.h>

#include <cmath>

#include "model_test_support.hpp"
#include "test_support.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/checkpoint_io.hpp"

namespace wizard::test {
namespace {

using model::CausalLM;
namespace fs = std::filesystem;

// A tiny untied model folder whose weights `edit` may change before they are written back.
fs::path edited_folder(const std::function<void(safetensors::NamedTensors&)>& edit) {
  model::InitModelOptions options;
  options.tie_word_embeddings = false;
  const fs::path folder = init_model_folder(options, "pretrained");
  safetensors::NamedTensors tensors;
  for (auto& [name, tensor] : model::load_weights(folder)) tensors.emplace_back(name, tensor);
  edit(tensors);
  safetensors::save(folder / "model.safetensors", tensors);
  return folder;
}

TEST(FromPretrained, MissingTensorIsNamedWithItsShape) {
  const fs::path folder = edited_folder([](safetensors::NamedTensors& tensors) {
    tensors.erase(std::find_if(tensors.begin(), tensors.end(), [](const auto& t) {
      return t.first == "model.layers.1.mlp.up_proj.weight";
    }));
  });
  expect_error_containing(
      [&] { CausalLM::from_pretrained(folder); },
      {folder.string(), "model.layers.1.mlp.up_proj.weight", "missing", "[128, 64]"});
}

TEST(FromPretrained, WrongShapeNamesTheTensorExpectedAndActualShape) {
  const fs::path folder = edited_folder([](safetensors::NamedTensors& tensors) {
    for (auto& [name, tensor] : tensors) {
      if (name == "model.layers.0.self_attn.k_proj.weight") tensor = at::zeros({16, 64});
    }
  });
  expect_error_containing(
      [&] { CausalLM::from_pretrained(folder); },
      {"model.layers.0.self_attn.k_proj.weight", "shape [16, 64]", "expected [32, 64]"});
}

TEST(FromPretrained, UnexpectedTensorsAreSkipped) {
  const fs::path folder = edited_folder([](safetensors::NamedTensors& tensors) {
    tensors.emplace_back("model.layers.0.self_attn.rotary_emb.inv_freq", at::ones({8}));
    tensors.emplace_back("value_head.weight", at::ones({1, 64}));
  });
  const CausalLM model = CausalLM::from_pretrained(folder);
  for (const auto& [name, tensor] : model.named_parameters()) {
    EXPECT_EQ(name.find("value_head"), std::string::npos);
  }
}

TEST(FromPretrained, TiedModelsIgnoreAStoredLmHead) {
  const fs::path folder = init_model_folder(model::InitModelOptions{}, "tied");
  safetensors::NamedTensors tensors;
  for (auto& [name, tensor] : model::load_weights(folder)) tensors.emplace_back(name, tensor);
  tensors.emplace_back("lm_head.weight", at::zeros({320, 64}));
  safetensors::save(folder / "model.safetensors", tensors);
  const CausalLM model = CausalLM::from_pretrained(folder);
  EXPECT_FALSE(model.weights().lm_head.defined());
  EXPECT_EQ(model.named_parameters().size(), model::parameter_specs(model.config()).size());
}

TEST(FromPretrained, LoadsInTheRequestedDtypeAndConverts) {
  const fs::path folder = init_model_folder(model::InitModelOptions{}, "dtypes");
  CausalLM model = CausalLM::from_pretrained(folder, at::kHalf);
  for (const at::Tensor& p : model.parameters()) {
    EXPECT_EQ(p.scalar_type(), at::kHalf);
    EXPECT_TRUE(p.requires_grad());
  }
  EXPECT_EQ(model.config().torch_dtype, "float16");
  model.to(at::kBFloat16);
  EXPECT_EQ(model.dtype(), at::kBFloat16);
  EXPECT_EQ(model.config().torch_dtype, "bfloat16");
  EXPECT_TRUE(model.parameters()[0].requires_grad());
  expect_error_containing([&] { CausalLM::from_pretrained(folder, at::kDouble); },
                          {"float32, bfloat16 or float16"});
}

TEST(FromPretrained, NamedParametersFollowTransformersOrder) {
  model::InitModelOptions options;
  options.architecture = "qwen3";
  options.num_hidden_layers = 1;
  const CausalLM model = CausalLM::from_pretrained(init_model_folder(options, "order"));
  std::vector<std::string> names;
  for (const auto& [name, tensor] : model.named_parameters()) names.push_back(name);
  const std::string l = "model.layers.0.";
  EXPECT_EQ(
      names,
      (std::vector<std::string>{
          "model.embed_tokens.weight", l + "self_attn.q_proj.weight", l + "self_attn.k_proj.weight",
          l + "self_attn.v_proj.weight", l + "self_attn.o_proj.weight",
          l + "self_attn.q_norm.weight", l + "self_attn.k_norm.weight", l + "mlp.gate_proj.weight",
          l + "mlp.up_proj.weight", l + "mlp.down_proj.weight", l + "input_layernorm.weight",
          l + "post_attention_layernorm.weight", "model.norm.weight"}));
}

TEST(FromPretrained, IntegerWeightsAreRefusedWithTheTensorsName) {
  const fs::path folder = edited_folder([](safetensors::NamedTensors& tensors) {
    for (auto& [name, tensor] : tensors) {
      if (name == "model.norm.weight") tensor = tensor.to(at::kLong);
    }
  });
  expect_error_containing(
      [&] { CausalLM::from_pretrained(folder); },
      {"model.norm.weight: stored as I64", "the model's weights are floating point"});
}

TEST(FromPretrained, NonFiniteWeightsAreRefusedWithTheTensorsName) {
  // Before this check a NaN weight trained into a NaN loss blamed on the learning rate.
  for (const double bad : {std::nan(""), HUGE_VAL}) {
    const fs::path folder = edited_folder([bad](safetensors::NamedTensors& tensors) {
      for (auto& [name, tensor] : tensors) {
        if (name == "model.layers.1.mlp.down_proj.weight") tensor.view({-1})[70] = bad;
      }
    });
    expect_error_containing(
        [&] { CausalLM::from_pretrained(folder); },
        {folder.string(), "weight 'model.layers.1.mlp.down_proj.weight' holds 1 NaN or infinite",
         "flat index 70", "damaged or was saved from a run that diverged"});
  }
}

TEST(ModelConfigFile, AMissingModelTypeIsNamed) {
  nlohmann::json config = {{"hidden_size", 64}, {"num_hidden_layers", 2}};
  expect_error_containing([&] { model::ModelConfig::from_json(config, "x/config.json"); },
                          {"x/config.json: has no model_type", "llama, mistral, qwen2, qwen3"});
}

}  // namespace
}  // namespace wizard::test
