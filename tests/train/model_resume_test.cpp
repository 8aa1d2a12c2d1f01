// Resume with a real (tiny, randomly initialised) Llama-family model: a run interrupted after a
// checkpoint and resumed from it logs the same losses and ends with the same weights, bit for
// bit, as the run that was never interrupted (same threads, on the test device).
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include "test_device.hpp"
#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/init_model.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/checkpoint.hpp"
#include "wizard/train/trainer.hpp"

namespace fs = std::filesystem;
using wizard::model::AttentionLayout;
using wizard::model::CausalLM;
using wizard::train::Interval;
using wizard::train::Trainer;

namespace {

// Causal-LM training on 16 random token sequences, one micro-batch of `batch` rows at a time.
struct LanguageModelRun {
  LanguageModelRun(const fs::path& model_folder, at::ScalarType dtype)
      : model(CausalLM::from_pretrained(model_folder, dtype, wizard::test::test_device())) {
    model.set_requires_grad(true);
    at::Generator generator = at::detail::createCPUGenerator(7);
    tokens = at::randint(0, 256, {16, 12}, generator);
  }

  wizard::train::TrainingTask task(int64_t batch, int64_t crash_at_call = -1) {
    wizard::train::TrainingTask task;
    task.parameters = model.named_parameters();
    task.micro_batches = [batch](int64_t epoch) {
      std::vector<wizard::train::MicroBatch> batches;
      for (int64_t start = 0; start < 16; start += batch) {
        wizard::train::MicroBatch rows;
        for (int64_t i = start; i < start + batch; ++i) rows.push_back((i * 5 + epoch * 3) % 16);
        batches.push_back(rows);
      }
      return batches;
    };
    task.compute = [this, crash_at_call](const wizard::train::MicroBatch& rows) {
      if (static_cast<int64_t>(losses.size()) == crash_at_call)
        throw std::runtime_error("simulated crash");
      const at::Tensor input_ids = tokens.index_select(0, at::tensor(rows, at::kLong));
      const AttentionLayout layout = AttentionLayout::padded(at::ones_like(input_ids));
      wizard::train::StepResult result;
      result.loss = model.loss(input_ids, layout.position_ids(), layout, input_ids);
      losses.push_back(result.loss.item<double>());
      result.metrics = {{"nll_loss", losses.back()}};
      result.num_tokens = input_ids.numel();
      return result;
    };
    task.save_model = [this](const fs::path& folder) { model.save_pretrained(folder); };
    task.progress = wizard::train::ProgressDisplay::Mode::off;
    return task;
  }

  CausalLM model;
  at::Tensor tokens;
  std::vector<double> losses;
};

std::vector<nlohmann::json> losses_logged(const fs::path& output_dir) {
  std::vector<nlohmann::json> out;
  for (const auto& event : wizard::test::read_jsonl(output_dir / "metrics.jsonl")) {
    if (event.contains("loss"))
      out.push_back({event["step"], event["epoch"], event["loss"], event["grad_norm"]});
  }
  return out;
}

struct Case {
  const char* name;
  at::ScalarType dtype;
  int64_t batch;
  int64_t accumulation;
  bool gradient_checkpointing;
  const char* optim = "adamw_torch";
};

// ctest's test list shows the parameter: its name rather than its bytes.
void PrintTo(const Case& c, std::ostream* out) {
  *out << c.name;
}

class ModelResume : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(ModelResume, ResumedRunEqualsTheUninterruptedRun) {
  const Case c = GetParam();
  wizard::model::InitModelOptions options;
  options.seed = 3;
  const fs::path model_folder = wizard::test::temp_dir("resume-model") / "model";
  wizard::model::init_model(model_folder, options);

  auto args = wizard::test::quick_args(wizard::test::temp_dir("resume-uninterrupted"));
  args.num_train_epochs = 2;
  args.gradient_accumulation_steps = c.accumulation;
  args.learning_rate = 1e-3;
  args.weight_decay = 0.01;
  args.warmup_ratio = 0.2;
  args.lr_scheduler_type = "cosine";
  args.save_strategy = Interval::steps;
  args.save_steps = 3;
  args.threads = 2;
  args.optim = c.optim;
  const int64_t calls_per_step = c.accumulation;
  const int64_t steps = 2 * (16 / c.batch / c.accumulation);

  LanguageModelRun uninterrupted(model_folder, c.dtype);
  uninterrupted.model.set_gradient_checkpointing(c.gradient_checkpointing);
  Trainer(args, uninterrupted.task(c.batch)).train();

  const fs::path reference = args.output_dir;
  args.output_dir = wizard::test::temp_dir("resume-interrupted");
  LanguageModelRun interrupted(model_folder, c.dtype);
  interrupted.model.set_gradient_checkpointing(c.gradient_checkpointing);
  // Dies in the middle of step 5, after checkpoint-3.
  EXPECT_THROW(Trainer(args, interrupted.task(c.batch, 4 * calls_per_step + 1)).train(),
               std::runtime_error);
  ASSERT_EQ(wizard::train::latest_checkpoint(args.output_dir), args.output_dir / "checkpoint-3");
  // 8-bit AdamW saves its moments as the uint8 codes it holds (the embedding has >= 4096 elements).
  const auto state =
      wizard::safetensors::File::open(args.output_dir / "checkpoint-3" / "optimizer.safetensors");
  EXPECT_EQ(state.info("exp_avg.model.embed_tokens.weight").dtype,
            args.optimizer_state_bits() == 8 ? at::kByte : at::kFloat);

  LanguageModelRun resumed(model_folder, c.dtype);  // the initial weights: resume replaces them
  resumed.model.set_gradient_checkpointing(c.gradient_checkpointing);
  args.resume_from_latest_checkpoint = true;
  EXPECT_EQ(Trainer(args, resumed.task(c.batch)).train().global_step, steps);

  const std::vector<double> tail(uninterrupted.losses.begin() + 3 * calls_per_step,
                                 uninterrupted.losses.end());
  EXPECT_EQ(resumed.losses, tail);
  EXPECT_EQ(losses_logged(args.output_dir), losses_logged(reference));
  const auto expected = uninterrupted.model.named_parameters();
  const auto actual = resumed.model.named_parameters();
  ASSERT_EQ(expected.size(), actual.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(at::equal(expected[i].second, actual[i].second)) << expected[i].first;
  }
  // The final model in output_dir loads back as what was trained.
  const CausalLM saved =
      CausalLM::from_pretrained(args.output_dir, c.dtype, wizard::test::test_device());
  EXPECT_TRUE(at::equal(saved.named_parameters()[0].second, actual[0].second));
}

INSTANTIATE_TEST_SUITE_P(
    Runs, ModelResume,
    ::testing::Values(Case{"float32", at::kFloat, 2, 1, false},
                      Case{"bfloat16_accumulation_checkpointing", at::kBFloat16, 2, 2, true},
                      Case{"bfloat16_8bit_adamw", at::kBFloat16, 2, 1, false, "adamw_8bit"}),
    [](const auto& info) { return std::string(info.param.name); });
