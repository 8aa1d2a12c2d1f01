// LoRA adapters on a CausalLM (wizard/model/lora.hpp): PEFT's initialisation and scaling, only
// adapters train, gradient checkpointing replays the dropout masks, adapter folders round-trip
// and merge into the plain model that computes the same.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "model_test_support.hpp"
#include "test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/lora.hpp"

namespace wizard::test {
namespace {

using model::AttentionLayout;
using model::CausalLM;
using model::LoraOptions;

// A tiny Qwen2 (q/k/v biases), untied unless asked.
CausalLM tiny_model(bool tied = false) {
  model::InitModelOptions options;
  options.architecture = "qwen2";
  options.tie_word_embeddings = tied;
  options.initializer_range = 0.2;
  return CausalLM::from_pretrained(init_model_folder(options, tied ? "lora-tied" : "lora"),
                                   at::kFloat);
}

at::Tensor logits_of(const CausalLM& model, const at::Tensor& ids) {
  at::NoGradGuard no_grad;
  const AttentionLayout layout = AttentionLayout::padded(at::ones_like(ids));
  return model.lm_head(model.forward(ids, layout.position_ids(), layout));
}

at::Tensor some_ids() {
  return at::tensor({3, 17, 42, 5, 99, 7, 64, 1, 12, 8}, at::kLong).view({2, 5});
}

// Puts random values into every B, so that the adapters change what the model computes.
void randomise_b(CausalLM& model, double scale = 0.1) {
  at::NoGradGuard no_grad;
  for (auto& layer : model.mutable_weights().layers) {
    for (const model::LayerLinear& linear : model::layer_linears(layer)) {
      if (linear.adapter.lora_B.defined()) linear.adapter.lora_B.normal_(0, scale);
    }
  }
}

TEST(Lora, ScalingIsAlphaOverRankOrOverItsRootWithRsLora) {
  LoraOptions options;
  options.r = 16;
  options.lora_alpha = 32;
  EXPECT_DOUBLE_EQ(options.scaling(), 2.0);  // 32 / 16
  options.use_rslora = true;
  EXPECT_DOUBLE_EQ(options.scaling(), 8.0);  // 32 / sqrt(16)
}

TEST(Lora, AdaptersStartAsPeftInitialisesThemAndChangeNothing) {
  CausalLM model = tiny_model();
  const at::Tensor before = logits_of(model, some_ids());
  LoraOptions options;
  options.r = 4;
  model::add_lora(model, options, 7);
  const auto& q = model.weights().layers[0].self_attn.q_proj_adapter;
  ASSERT_TRUE(q.lora_A.defined());
  EXPECT_EQ(q.lora_A.sizes(), at::IntArrayRef({4, 64}));  // [r, in]
  EXPECT_EQ(q.lora_B.sizes(), at::IntArrayRef({64, 4}));  // [out, r]
  // kaiming_uniform_(a = sqrt(5)) on [r, in]: uniform within 1 / sqrt(in) = 0.125.
  const double largest = q.lora_A.abs().max().item<double>();
  EXPECT_LE(largest, 0.125);
  EXPECT_GT(largest, 0.11);
  EXPECT_EQ(q.lora_B.abs().max().item<double>(), 0.0);
  EXPECT_DOUBLE_EQ(q.scaling, 16.0);  // training-wizard's alpha 64 over r 4
  EXPECT_TRUE(at::equal(before, logits_of(model, some_ids())));
}

TEST(Lora, OnlyAdaptersAndTheChosenBiasesAndModulesTrainUnderPeftsNames) {
  CausalLM model = tiny_model();
  LoraOptions options;
  options.r = 2;
  options.target_modules = {"q_proj", "mlp.down_proj"};
  options.bias = "lora_only";
  options.modules_to_save = {"lm_head"};
  model::add_lora(model, options, 0);
  std::vector<std::string> names;
  for (const auto& [name, tensor] : model::lora_parameters(model, options)) {
    EXPECT_TRUE(tensor.requires_grad()) << name;
    names.push_back(name);
  }
  const std::string l0 = "base_model.model.model.layers.0.";
  ASSERT_GE(names.size(), 5u);
  EXPECT_EQ(names[0], l0 + "self_attn.q_proj.lora_A.weight");
  EXPECT_EQ(names[1], l0 + "self_attn.q_proj.lora_B.weight");
  EXPECT_EQ(names[2], l0 + "self_attn.q_proj.base_layer.bias");  // lora_only: q's bias
  EXPECT_EQ(names[3], l0 + "mlp.down_proj.lora_A.weight");
  EXPECT_EQ(names[4], l0 + "mlp.down_proj.lora_B.weight");
  EXPECT_EQ(names.back(), "base_model.model.lm_head.weight");
  // 2 layers x (q: A, B, bias; down: A, B) + lm_head.
  EXPECT_EQ(names.size(), 11u);
  for (const auto& [name, tensor] : model.named_parameters()) {
    const bool trains = name == "lm_head.weight" || name.find("q_proj.bias") != std::string::npos;
    EXPECT_EQ(tensor.requires_grad(), trains) << name;
  }
  // bias = "all": k and v biases too, under their plain names (no adapter on them).
  options.bias = "all";
  std::vector<std::string> all;
  for (const auto& [name, tensor] : model::lora_parameters(model, options)) all.push_back(name);
  EXPECT_NE(std::find(all.begin(), all.end(), l0 + "self_attn.k_proj.bias"), all.end());
}

TEST(Lora, TargetsMatchAsPeftMatchesAndBadOnesAreRefused) {
  model::ModelConfig config = tiny_model().config();
  LoraOptions options;
  EXPECT_EQ(model::lora_target_paths(config, options).size(), 14u);  // all-linear: 7 x 2 layers
  options.target_modules = {"layers.1.self_attn.v_proj"};
  EXPECT_EQ(model::lora_target_paths(config, options),
            std::vector<std::string>{"model.layers.1.self_attn.v_proj"});
  options.target_modules.clear();
  options.target_regex = R"(.*\.0\.mlp\.(up|gate)_proj)";
  EXPECT_EQ(
      model::lora_target_paths(config, options),
      (std::vector<std::string>{"model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj"}));
  options.target_regex.clear();
  options.target_modules = {"q_proj", "qproj"};
  expect_error_containing([&] { model::lora_target_paths(config, options); },
                          {"\"qproj\"", "matches no layer"});
  options.target_modules = {"lm_head"};
  expect_error_containing([&] { model::lora_target_paths(config, options); },
                          {"\"lm_head\"", "modules_to_save"});
  const model::ModelConfig tied = tiny_model(true).config();
  options = LoraOptions();
  options.modules_to_save = {"lm_head"};
  expect_error_containing([&] { model::lora_target_paths(tied, options); }, {"tied", "untie"});
}

TEST(Lora, MergingGivesThePlainModelThatComputesTheSame) {
  CausalLM model = tiny_model();
  LoraOptions options;
  options.r = 4;
  options.lora_dropout = 0;
  model::add_lora(model, options, 1);
  randomise_b(model);
  const at::Tensor base = logits_of(tiny_model(), some_ids());
  const at::Tensor adapted = logits_of(model, some_ids());
  EXPECT_GT((adapted - base).abs().max().item<double>(), 1e-2);  // the adapters matter
  model::merge_lora(model);
  EXPECT_FALSE(model.weights().layers[0].self_attn.q_proj_adapter.lora_A.defined());
  EXPECT_LT((logits_of(model, some_ids()) - adapted).abs().max().item<double>(), 1e-4);
}

TEST(Lora, AdapterFoldersRoundTrip) {
  CausalLM model = tiny_model();
  LoraOptions options;
  options.r = 3;
  options.lora_alpha = 5;
  options.use_rslora = true;
  options.bias = "all";
  options.target_modules = {"k_proj", "up_proj"};
  model::add_lora(model, options, 2);
  randomise_b(model);
  const std::filesystem::path folder = temp_dir("lora-adapter");
  model::save_lora_adapter(model, options, folder, "some/base");
  const nlohmann::json config = read_json(folder / "adapter_config.json");
  EXPECT_EQ(config["peft_type"], "LORA");
  EXPECT_EQ(config["task_type"], "CAUSAL_LM");
  EXPECT_EQ(config["r"], 3);
  EXPECT_EQ(config["lora_alpha"], 5.0);
  EXPECT_EQ(config["use_rslora"], true);
  EXPECT_EQ(config["bias"], "all");
  EXPECT_EQ(config["base_model_name_or_path"], "some/base");
  EXPECT_EQ(config["target_modules"].size(), 4u);  // k and up in 2 layers, as paths
  const LoraOptions read = model::read_lora_config(folder);
  EXPECT_EQ(read.r, 3);
  EXPECT_TRUE(read.use_rslora);
  CausalLM fresh = tiny_model();
  model::load_lora_adapter(fresh, read, folder);
  EXPECT_TRUE(at::allclose(logits_of(fresh, some_ids()), logits_of(model, some_ids())));
}

TEST(Lora, AdapterConfigsWizardCannotApplyAreRefusedByKey) {
  const std::filesystem::path folder = temp_dir("lora-dora");
  std::ofstream(folder / "adapter_config.json")
      << R"({"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj"],
             "use_dora": true})";
  expect_error_containing([&] { model::read_lora_config(folder); }, {"use_dora", "not supported"});
}

// Dropout masks differ each call; the checkpointed recomputation must draw the forward's.
TEST(Lora, GradientCheckpointingReplaysTheDropoutMasks) {
  auto gradients = [](bool checkpointing, uint64_t seed) {
    CausalLM model = tiny_model();
    LoraOptions options;
    options.r = 4;
    options.lora_dropout = 0.5;
    model::add_lora(model, options, 3);
    at::manual_seed(100);  // the same B every time
    randomise_b(model);
    at::manual_seed(seed);  // the dropout masks
    model.set_gradient_checkpointing(checkpointing);
    const at::Tensor ids = some_ids();
    const AttentionLayout layout = AttentionLayout::padded(at::ones_like(ids));
    model.loss(ids, layout.position_ids(), layout, ids).backward();
    std::vector<at::Tensor> grads;
    for (const auto& [name, t] : model::lora_parameters(model, options)) grads.push_back(t.grad());
    return grads;
  };
  const auto plain = gradients(false, 11);
  const auto recomputed = gradients(true, 11);
  ASSERT_EQ(plain.size(), recomputed.size());
  for (std::size_t i = 0; i < plain.size(); ++i) {
    ASSERT_TRUE(plain[i].defined());
    EXPECT_TRUE(at::allclose(plain[i], recomputed[i], 1e-5, 1e-6)) << i;
  }
  // The masks are drawn: another seed, other gradients.
  EXPECT_FALSE(at::allclose(gradients(false, 12)[0], plain[0]));
}

}  // namespace
}  // namespace wizard::test
