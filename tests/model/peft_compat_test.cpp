// wizard's LoRA adapter folders in the real PEFT library: PeftModel.from_pretrained puts them on
// the base model (transformers) and gives the logits wizard computes. Runs when a Python with
// peft and transformers is found: $WIZARD_HF_PYTHON, else .venv-hf/bin/python or .venv/bin/python
// in the checkout (CI installs them there: scripts/ci_test_tools.sh), else ../venv-hf/bin/python
// beside it; skipped otherwise.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "model_test_support.hpp"
#include "test_support.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/lora.hpp"

namespace wizard::test {
namespace {

namespace fs = std::filesystem;

std::string hf_python() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("WIZARD_HF_PYTHON")) candidates.push_back(env);
  candidates.push_back((source_dir() / ".venv-hf/bin/python").string());
  candidates.push_back((source_dir() / ".venv/bin/python").string());
  candidates.push_back((source_dir().parent_path() / "venv-hf/bin/python").string());
  for (const std::string& python : candidates) {
    if (!fs::exists(python)) continue;
    const std::string check = "'" + python + "' -c 'import peft, transformers' >/dev/null 2>&1";
    if (std::system(check.c_str()) == 0) return python;
  }
  return "";
}

struct Case {
  const char* name;
  bool tied;
  model::LoraOptions options;
};

std::vector<Case> cases() {
  model::LoraOptions all_linear;  // training-wizard's defaults: r 32, alpha 64, all-linear
  model::LoraOptions listed;
  listed.r = 4;
  listed.lora_alpha = 6;
  listed.use_rslora = true;
  listed.bias = "all";
  listed.target_modules = {"q_proj", "v_proj", "down_proj"};
  listed.modules_to_save = {"lm_head"};
  return {{"all_linear_tied", true, all_linear}, {"listed_bias_head", false, listed}};
}

// The logits wizard computes and PEFT computes agree to float32 rounding: the largest
// difference allowed is 1e-4 on logits of magnitude ~1 (both sum the same products in
// float32, in other orders).
TEST(PeftCompat, PeftLoadsWizardsAdaptersAndComputesTheSameLogits) {
  const std::string python = hf_python();
  if (python.empty()) GTEST_SKIP() << "no Python with peft and transformers (WIZARD_HF_PYTHON)";
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    model::InitModelOptions init;
    init.architecture = "qwen2";  // q/k/v biases, so that bias = "all" saves some
    init.tie_word_embeddings = c.tied;
    init.initializer_range = 0.2;
    const fs::path base = init_model_folder(init, std::string("peft-base-") + c.name);
    model::CausalLM model = model::CausalLM::from_pretrained(base, at::kFloat);
    model::add_lora(model, c.options, 3);
    {
      // Trained-looking adapters, biases and head, so that each of them matters.
      at::NoGradGuard no_grad;
      at::manual_seed(4);
      for (auto& [name, tensor] : model::lora_parameters(model, c.options)) {
        tensor.add_(at::randn_like(tensor) * 0.05);
      }
    }
    const fs::path adapter = temp_dir(std::string("peft-adapter-") + c.name);
    model::save_lora_adapter(model, c.options, adapter, base.string());

    const at::Tensor ids =
        at::tensor({5, 9, 100, 3, 77, 12, 1, 64, 2, 30, 8, 41}, at::kLong).view({2, 6});
    const fs::path ids_file = adapter / "ids.json";
    std::ofstream(ids_file) << "[[5, 9, 100, 3, 77, 12], [1, 64, 2, 30, 8, 41]]";
    const fs::path out = adapter / "peft_logits.json";
    const fs::path log = adapter / "peft.log";
    const std::string command =
        "'" + python + "' '" + (source_dir() / "tests/model/peft_logits.py").string() + "' '" +
        base.string() + "' '" + adapter.string() + "' '" + ids_file.string() + "' '" +
        out.string() + "' >'" + log.string() + "' 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << read_text(log);
    const nlohmann::json peft = read_json(out);
    std::vector<float> flat;
    for (const auto& row : peft)
      for (const auto& position : row)
        for (const auto& value : position) flat.push_back(value.get<float>());
    const at::Tensor expected = at::tensor(flat, at::kFloat).view({2, 6, -1});

    at::NoGradGuard no_grad;
    const auto layout = model::AttentionLayout::padded(at::ones_like(ids));
    const at::Tensor logits = model.lm_head(model.forward(ids, layout.position_ids(), layout));
    ASSERT_EQ(logits.sizes(), expected.sizes());
    const double error = (logits - expected).abs().max().item<double>();
    EXPECT_LT(error, 1e-4);
    // The adapter matters: the base alone is far from it.
    const model::CausalLM plain = model::CausalLM::from_pretrained(base, at::kFloat);
    const at::Tensor base_logits = plain.lm_head(plain.forward(ids, layout.position_ids(), layout));
    EXPECT_GT((base_logits - expected).abs().max().item<double>(), 100 * 1e-4);
  }
}

}  // namespace
}  // namespace wizard::test
