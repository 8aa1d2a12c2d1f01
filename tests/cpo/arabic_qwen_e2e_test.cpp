// The arabic-qwen document's configs through the wizard binary, from a copy of
// ../shared/compat/arabic-qwen (config/ and data/) with HF_HOME at its hf_cache: each config
// trains or passes the check; a config of the
// document's keys this build runs trains; the remote-code model is refused.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "run_outputs.hpp"

namespace fs = std::filesystem;
using wizard::test::metric_series;
using wizard::test::read_metrics;
using wizard::test::run_wizard;
using wizard::test::RunResult;

namespace {

fs::path compat_dir() {
  return wizard::test::refs_dir().parent_path().parent_path() / "compat" / "arabic-qwen";
}

#define SKIP_WITHOUT_FIXTURE()                                         \
  if (!fs::exists(compat_dir() / "config"))                            \
  GTEST_SKIP() << "the arabic-qwen fixture is not at " << compat_dir() \
               << " (../shared/compat beside the checkout, or $WIZARD_REFS/../../compat)"

// A writable copy of the fixture's config/ and data/; the HF cache is read where it is.
fs::path fixture_copy(const std::string& name) {
  const fs::path dir = wizard::test::temp_dir(name);
  for (const char* folder : {"config", "data"}) {
    fs::copy(compat_dir() / folder, dir / folder, fs::copy_options::recursive);
  }
  return dir;
}

std::string hf_home() {
  return "HF_HOME='" + (compat_dir() / "hf_cache").string() + "'";
}

// The keys a refusal names, one per line "  <where>: <key> = <value>: <why>", sorted by why:
// a feature of another issue (11, 13, 14), a key of issue 10 this build's recipe or loss
// does not have yet, or anything else.
struct Refusals {
  std::set<std::string> other_issues;
  std::set<std::string> not_in_this_build;
  std::set<std::string> other;
};

Refusals refusals_in(const std::string& output) {
  static const std::regex line(R"(^  \S+: ([a-z_]+\.[a-z_]+) = .*)");
  Refusals out;
  std::istringstream lines(output);
  for (std::string text; std::getline(lines, text);) {
    std::smatch match;
    if (!std::regex_match(text, match, line)) continue;
    const std::string key = match[1];
    if (std::regex_search(text, std::regex(R"(\(issue 1[134]\), not in wizard yet)"))) {
      out.other_issues.insert(key);
    } else if (text.find("in this build") != std::string::npos ||
               text.find("this build's cpo recipe does not have") != std::string::npos) {
      out.not_in_this_build.insert(key);
    } else {
      out.other.insert(key);
    }
  }
  return out;
}

}  // namespace

// `wizard check config/<name>.yaml --set model.name=Qwen/Qwen3-0.6B`: the two configs the
// tests below do not train (the document's default paraphrase augmentation, issue 11's, among
// their keys) pass the check; issue 10's keys (several negatives, the reference model,
// temperature and margin), issue 11's and issue 13's (LoRA, quantisation) are never refused.
TEST(ArabicQwenCompat, EachDocumentConfigPassesTheCheck) {
  SKIP_WITHOUT_FIXTURE();
  const fs::path dir = fixture_copy("arabic-qwen-configs");
  for (const char* config : {"cpo_config.yaml", "research_cpo_config.yaml"}) {
    SCOPED_TRACE(config);
    const RunResult r = run_wizard(std::string("check config/") + config +
                                       " --set model.name=Qwen/Qwen3-0.6B"
                                       " --set paths.output_dir=" +
                                       (dir / "out" / config).string(),
                                   dir, hf_home());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_CONTAINS(r.output, "check passed");
    const Refusals refused = refusals_in(r.output);
    EXPECT_TRUE(refused.other_issues.empty()) << r.output;
    EXPECT_TRUE(refused.not_in_this_build.empty()) << r.output;
    EXPECT_TRUE(refused.other.empty()) << r.output;
  }
}

// As written the configs name the original Qwen, whose code lives in its repository: it is
// refused, saying why.
TEST(ArabicQwenCompat, AsWrittenTheRemoteCodeModelIsRefused) {
  SKIP_WITHOUT_FIXTURE();
  const fs::path dir = fixture_copy("arabic-qwen-as-written");
  const RunResult r =
      run_wizard("run config/cpo_config.yaml --set paths.output_dir=out", dir, hf_home());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_CONTAINS(r.output, "config/cpo_config.yaml:3:9: model.name = \"Qwen/Qwen-7B\": ");
  EXPECT_CONTAINS(r.output, "model_type 'qwen' needs remote code");
  EXPECT_CONTAINS(r.output,
                  "wizard runs no Python; it implements these architectures itself: "
                  "llama, mistral, qwen2, qwen3");
}

// The quick config asks for nothing of another issue: it trains as written, LoRA (rank 8) over
// a 4-bit base, with the document's reference model (reference_free: false) and its softmax
// temperature, and leaves a PEFT adapter.
TEST(ArabicQwenCompat, TheQuickConfigTrainsAsWrittenWithQLora) {
  SKIP_WITHOUT_FIXTURE();
  const fs::path dir = fixture_copy("arabic-qwen-quick");
  const RunResult r = run_wizard(
      "run config/quick_cpo_config.yaml --set model.name=Qwen/Qwen3-0.6B --set "
      "paths.output_dir=out",
      dir, hf_home());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_CONTAINS(r.output, "LoRA: r 8, alpha 16");
  EXPECT_CONTAINS(r.output, "base weights in 4 bits (nf4)");
  const auto metrics = read_metrics(dir / "out");
  EXPECT_FALSE(metric_series(metrics, "train_loss").empty());
  EXPECT_FALSE(metric_series(metrics, "eval_loss").empty());  // data/cpo_validation.jsonl
  EXPECT_TRUE(fs::exists(dir / "out" / "adapter_model.safetensors"));
}

namespace {

// The document's keys this build runs, on the fixture's pairs.
const char* kRunnableYaml = R"(# The arabic-qwen schema: what this build honours.
model:
  name: "Qwen/Qwen3-0.6B"
  max_length: 256
training:
  learning_rate: 1.0e-4
  batch_size: 4
  num_epochs: 2
  gradient_accumulation_steps: 1
  warmup_steps: 0
data:
  train_file: "data/cpo_train_small.jsonl"
  validation_file: null
  validation_split_percentage: 0.25
  preprocessing_num_workers: 2
cpo:
  loss_type: "cpo"
  beta: 0.1
  alpha: 1.0
  reference_free: true
  max_prompt_length: 128
  contrastive_weight: 1.0
optimization:
  use_lora: false
  bf16: false
  use_gradient_checkpointing: true
)";

}  // namespace

TEST(ArabicQwenCompat, AConfigOfTheKeysThisBuildRunsTrains) {
  SKIP_WITHOUT_FIXTURE();
  const fs::path dir = fixture_copy("arabic-qwen-trains");
  std::ofstream(dir / "config" / "runnable.yaml") << kRunnableYaml;
  const RunResult r =
      run_wizard("run config/runnable.yaml --set paths.output_dir=out", dir, hf_home());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto metrics = read_metrics(dir / "out");
  EXPECT_FALSE(metric_series(metrics, "train_loss").empty());
  EXPECT_EQ(metric_series(metrics, "eval_rewards/accuracies").size(), 2u);  // once per epoch
  for (const char* file : {"config.json", "model.safetensors", "tokenizer.json"}) {
    EXPECT_TRUE(fs::exists(dir / "out" / file)) << file;
  }
  // The contrastive term at the document's default weight runs: evaluated, and saved.
  EXPECT_EQ(metric_series(metrics, "eval_contrastive_loss").size(), 2u);
  EXPECT_TRUE(fs::exists(dir / "out" / "contrastive_state.safetensors"));
  // The resolved config is the arabic-qwen file with the document's defaults filled in.
  const std::string resolved = wizard::test::read_text(dir / "out" / "resolved_config.toml");
  EXPECT_CONTAINS(resolved, "[cpo]");
  EXPECT_CONTAINS(resolved, "num_negatives = 1");
  EXPECT_CONTAINS(resolved, "[paths]");
  // A TOML string, in either quotes.
  auto has_string = [&](const std::string& key, const std::string& value) {
    return resolved.find(key + " = '" + value + "'") != std::string::npos ||
           resolved.find(key + " = \"" + value + "\"") != std::string::npos;
  };
  EXPECT_TRUE(has_string("output_dir", "out")) << resolved;
  EXPECT_TRUE(has_string("validation_file", "")) << resolved;  // null: TOML has none
  // ... which runs again as it is.
  const RunResult again =
      run_wizard("check out/resolved_config.toml --set paths.output_dir=out2", dir, hf_home());
  EXPECT_EQ(again.exit_code, 0) << again.output;
}

// The research and production configs with every issue 11 key honoured: the contrastive
// term with its projection head, queue (131072 keys: more than the data set) and momentum
// encoder, semantic-search mining and paraphrase augmentation (by the policy, as written), the
// production config with its LoRA adapters; the first 12 training rows, to keep the test short.
TEST(ArabicQwenCompat, TheResearchAndProductionConfigsTrain) {
  SKIP_WITHOUT_FIXTURE();
  const fs::path dir = fixture_copy("arabic-qwen-research");
  const RunResult research = run_wizard(
      "run config/research_cpo_config.yaml --set model.name=Qwen/Qwen3-0.6B"
      " --set paths.output_dir=research --set data.max_samples=12",
      dir, hf_home());
  ASSERT_EQ(research.exit_code, 0) << research.output;
  EXPECT_CONTAINS(research.output, "exact search");
  EXPECT_CONTAINS(research.output, "augmentation (paraphrase)");
  EXPECT_TRUE(fs::exists(dir / "research" / "cache" / "paraphrases.jsonl"));
  EXPECT_TRUE(fs::exists(dir / "research" / "mined_negatives.jsonl"));
  EXPECT_TRUE(fs::exists(dir / "research" / "contrastive_state.safetensors"));
  EXPECT_FALSE(metric_series(read_metrics(dir / "research"), "eval_contrastive_loss").empty());
  const RunResult prod = run_wizard(
      "run config/prod_cpo_config.yaml --set model.name=Qwen/Qwen3-0.6B"
      " --set paths.output_dir=prod --set data.max_samples=12",
      dir, hf_home());
  ASSERT_EQ(prod.exit_code, 0) << prod.output;
  EXPECT_FALSE(metric_series(read_metrics(dir / "prod"), "eval_contrastive/accuracy").empty());
  EXPECT_TRUE(fs::exists(dir / "prod" / "adapter_model.safetensors"));
  EXPECT_TRUE(fs::exists(dir / "prod" / "contrastive_state.safetensors"));
}

TEST(ArabicQwenCompat, TheSameKeysInTomlAndJsonPassCheck) {
  SKIP_WITHOUT_FIXTURE();
  const fs::path dir = fixture_copy("arabic-qwen-formats");
  std::ofstream(dir / "config" / "runnable.toml") << R"(# The arabic-qwen schema in TOML.
[model]
name = "Qwen/Qwen3-0.6B"
max_length = 256
[data]
train_file = "data/cpo_train_small.jsonl"
[cpo]
reference_free = true
max_prompt_length = 128
)";
  std::ofstream(dir / "config" / "runnable.json") << R"({
  "model": {"name": "Qwen/Qwen3-0.6B", "max_length": 256},
  "data": {"train_file": "data/cpo_train_small.jsonl"},
  "cpo": {"reference_free": true, "max_prompt_length": 128}
})";
  for (const char* config : {"config/runnable.toml", "config/runnable.json"}) {
    const RunResult r = run_wizard(std::string("check ") + config, dir, hf_home());
    EXPECT_EQ(r.exit_code, 0) << config << "\n" << r.output;
    EXPECT_CONTAINS(r.output, "check passed");
    EXPECT_CONTAINS(r.output, "validation: 8 pairs");  // data/cpo_validation.jsonl, the default
  }
}

// Errors the recipe finds after the translation still name the user's file, line and key.
TEST(ArabicQwenCompat, ErrorsPointAtTheKeyAsWritten) {
  SKIP_WITHOUT_FIXTURE();
  const fs::path dir = fixture_copy("arabic-qwen-errors");
  std::string text = kRunnableYaml;
  text.replace(text.find("batch_size: 4"), 13, "batch_size: 0");
  std::ofstream(dir / "config" / "bad.yaml") << text;
  const RunResult r = run_wizard("check config/bad.yaml", dir, hf_home());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // "  batch_size: " is 14 characters on line 7.
  EXPECT_CONTAINS(
      r.output,
      "config/bad.yaml:7:15 (training.batch_size): "
      "training_args_spec.per_device_train_batch_size: must be an integer in [1, 1048576], "
      "but it is 0");
  std::ofstream(dir / "config" / "runnable.yaml") << kRunnableYaml;
  const RunResult from_set =
      run_wizard("check config/runnable.yaml --set training.learning_rate=-1", dir, hf_home());
  EXPECT_EQ(from_set.exit_code, 2) << from_set.output;
  EXPECT_CONTAINS(
      from_set.output,
      "--set training.learning_rate=-1: "
      "training_args_spec.learning_rate: must be a finite number in [0, 10], but it is -1");
}
