// LoRA and QLoRA through the wizard binary: adapter folders as the output and in checkpoints,
// resume, merge_lora and `wizard merge`, a quantised base that still learns, the example
// config, and the keys refused with a reason.
#include <gtest/gtest.h>

#include <fstream>

#include "run_outputs.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/safetensors.hpp"

namespace fs = std::filesystem;
using wizard::test::losses_after;
using wizard::test::metric_series;
using wizard::test::read_metrics;
using wizard::test::run_wizard;
using wizard::test::RunResult;
using wizard::test::synthetic_config;

namespace {

const std::string kLora = "\n[transformer_spec.lora_spec]\nr = 8\nlora_alpha = 16\n";

}  // namespace

TEST(Lora, ARunWritesPeftAdaptersAndResumesBitForBit) {
  const std::string args = "max_steps = 6\nsave_strategy = \"steps\"\nsave_steps = 3\n";
  const fs::path whole = synthetic_config("lora-whole", args + kLora);
  const RunResult w = run_wizard("run config.toml", whole);
  ASSERT_EQ(w.exit_code, 0) << w.output;
  EXPECT_CONTAINS(w.output, "LoRA: r 8");
  for (const fs::path& folder : {whole / "out", whole / "out" / "checkpoint-3"}) {
    EXPECT_TRUE(fs::exists(folder / "adapter_config.json")) << folder;
    EXPECT_TRUE(fs::exists(folder / "adapter_model.safetensors")) << folder;
    EXPECT_FALSE(fs::exists(folder / "model.safetensors")) << folder;
  }
  // Only adapters trained: 2 layers x 7 linear layers x (A, B).
  const auto file = wizard::safetensors::File::open(whole / "out" / "adapter_model.safetensors");
  EXPECT_EQ(file.tensors().size(), 28u);
  EXPECT_TRUE(file.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));

  const fs::path resumed = synthetic_config(
      "lora-resumed", args + "resume_from_checkpoint = \"" +
                          (whole / "out" / "checkpoint-3").string() + "\"\n" + kLora);
  const RunResult r = run_wizard("run config.toml", resumed);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto expected = losses_after(read_metrics(whole / "out"), 3);
  ASSERT_EQ(expected.size(), 3u);
  EXPECT_EQ(losses_after(read_metrics(resumed / "out"), 3), expected);
}

TEST(Lora, MergeLoraAndTheMergeCommandWriteThePlainModel) {
  const fs::path dir = synthetic_config(
      "lora-merge", "max_steps = 2\n[callbacks_spec]\nmerge_lora = true\n" + kLora);
  const RunResult r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path merged = dir / "out" / "merged";
  ASSERT_TRUE(fs::exists(merged / "model.safetensors")) << r.output;
  EXPECT_TRUE(fs::exists(merged / "tokenizer.json"));

  const fs::path out = wizard::test::temp_dir("lora-merge-command") / "merged";
  const RunResult m = run_wizard("merge " + (dir / "out").string() + " --out " + out.string());
  ASSERT_EQ(m.exit_code, 0) << m.output;
  // The command and the callback merge the same adapter into the same base.
  const auto a = wizard::model::CausalLM::from_pretrained(merged);
  const auto b = wizard::model::CausalLM::from_pretrained(out);
  const auto pa = a.named_parameters();
  const auto pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(pa[i].second.equal(pb[i].second));
  const RunResult again = run_wizard("merge " + (dir / "out").string() + " --out " + out.string());
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_CONTAINS(again.output, "is not empty");
  EXPECT_CONTAINS(again.output, "--overwrite");
}

TEST(Lora, AQuantisedBaseStillLearnsTheTask) {
  const fs::path dir = synthetic_config(
      "qlora-learns",
      "eval_strategy = \"steps\"\neval_steps = 40\neval_on_start = true\nmax_steps = 40\n" + kLora +
          "[transformer_spec.bnb_spec]\nload_in_4bit = true\nbnb_4bit_quant_type = \"nf4\"\n"
          "bnb_4bit_use_double_quant = true\nbnb_4bit_compute_dtype = \"float32\"\n",
      400);
  const RunResult r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_CONTAINS(r.output, "base weights in 4 bits (nf4)");
  const auto metrics = read_metrics(dir / "out");
  const auto accuracy = metric_series(metrics, "eval_rewards/accuracies");
  const auto eval_loss = metric_series(metrics, "eval_loss");
  ASSERT_EQ(accuracy.size(), 2u);
  EXPECT_LT(eval_loss.back(), eval_loss.front());
  EXPECT_GT(accuracy.back(), accuracy.front());
}

TEST(Lora, KeysWizardCannotHonourAreRefusedWithTheReason) {
  struct Case {
    const char* extra;
    const char* message;
  };
  for (const Case& c : {
           Case{"[transformer_spec.bnb_spec]\nload_in_4bit = true\n", "add a [transformer_spec"},
           Case{"[transformer_spec.lora_spec]\n[transformer_spec.bnb_spec]\nload_in_8bit = true\n",
                "load_in_8bit: = true (LLM.int8()) is not supported"},
           Case{"[transformer_spec.lora_spec]\nbias = \"some\"\n", "lora_spec.bias"},
           Case{"[transformer_spec.lora_spec]\ntarget_modules = [\"qproj\"]\n", "\"qproj\""},
           Case{"[callbacks_spec]\nmerge_lora = true\n", "no lora_spec"},
       }) {
    SCOPED_TRACE(c.extra);
    const fs::path dir = synthetic_config("lora-refused", std::string("\n") + c.extra);
    const RunResult r = run_wizard("check config.toml", dir);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_CONTAINS(r.output, c.message);
  }
}

// examples/lora/config.toml as written, on the tiny model and a few steps: the adapter, and
// the merged model of its merge_lora.
TEST(Lora, TheExampleConfigRunsAndWritesTheAdapterAndTheMergedModel) {
  const fs::path out = wizard::test::temp_dir("lora-example") / "out";
  const RunResult r = run_wizard(
      "run examples/lora/config.toml --set transformer_spec.pretrained_name=" +
          wizard::test::tiny_model().string() +
          " --set training_args_spec.output_dir=" + out.string() +
          " --set dataset_spec.rows=260 --set training_args_spec.max_steps=3"
          " --set training_args_spec.eval_strategy=no --set training_args_spec.eval_on_start=false",
      wizard::test::source_dir());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_CONTAINS(r.output, "base weights in 4 bits (nf4)");
  EXPECT_TRUE(fs::exists(out / "adapter_model.safetensors"));
  EXPECT_TRUE(fs::exists(out / "merged" / "model.safetensors"));
}
