// Checkpoint folders: naming, discovery, atomic writes, rotation, stale staging folders,
// and publishing the final model into output_dir.
#include <gtest/gtest.h>

#include <fstream>

#include "test_support.hpp"
#include "train_test_support.hpp"
#include "wizard/train/checkpoint.hpp"

namespace fs = std::filesystem;
using namespace wizard::train;

namespace {

void touch(const fs::path& file, const std::string& text = "x") {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

std::vector<std::string> names(const std::vector<fs::path>& paths) {
  std::vector<std::string> out;
  for (const auto& path : paths) out.push_back(path.filename().string());
  return out;
}

std::vector<std::string> entries(const fs::path& folder) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(folder))
    out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(Checkpoint, NamesAndSteps) {
  EXPECT_EQ(checkpoint_name(120), "checkpoint-120");
  EXPECT_EQ(checkpoint_step("out/checkpoint-120"), 120);
  EXPECT_EQ(checkpoint_step("out/checkpoint-12a"), std::nullopt);
  EXPECT_EQ(checkpoint_step("out/.checkpoint-12.staging-1-2"), std::nullopt);
}

TEST(Checkpoint, ListsByStepNumberAndIgnoresEverythingElse) {
  const auto dir = wizard::test::temp_dir("list");
  for (const char* name :
       {"checkpoint-9", "checkpoint-10", "checkpoint-100", ".checkpoint-200.staging-1-1", "runs"}) {
    fs::create_directories(dir / name);
  }
  touch(dir / "checkpoint-300");  // a file, not a folder
  EXPECT_EQ(names(list_checkpoints(dir)),
            (std::vector<std::string>{"checkpoint-9", "checkpoint-10", "checkpoint-100"}));
  EXPECT_EQ(latest_checkpoint(dir), dir / "checkpoint-100");
  EXPECT_EQ(latest_checkpoint(wizard::test::temp_dir("empty")), std::nullopt);
}

TEST(Checkpoint, WritesAtomically) {
  const auto dir = wizard::test::temp_dir("atomic");
  write_folder_atomically(dir / "checkpoint-1",
                          [](const fs::path& staging) { touch(staging / "a.json", "old"); });
  // A writer that fails half-way leaves the existing folder as it was and nothing else.
  EXPECT_THROW(write_folder_atomically(dir / "checkpoint-1",
                                       [](const fs::path& staging) {
                                         touch(staging / "a.json", "new");
                                         throw std::runtime_error("disk full");
                                       }),
               std::runtime_error);
  EXPECT_EQ(entries(dir), std::vector<std::string>{"checkpoint-1"});
  std::ifstream in(dir / "checkpoint-1" / "a.json");
  std::string text;
  in >> text;
  EXPECT_EQ(text, "old");
  // A successful rewrite replaces the folder as a whole.
  write_folder_atomically(dir / "checkpoint-1",
                          [](const fs::path& staging) { touch(staging / "b.json"); });
  EXPECT_EQ(entries(dir / "checkpoint-1"), std::vector<std::string>{"b.json"});
  EXPECT_EQ(entries(dir), std::vector<std::string>{"checkpoint-1"});
}

TEST(Checkpoint, RotationDeletesTheOldestAndKeepsTheBest) {
  const auto dir = wizard::test::temp_dir("rotate");
  for (int step : {1, 2, 3, 4, 5}) fs::create_directories(dir / checkpoint_name(step));
  EXPECT_TRUE(rotate_checkpoints(dir, 0, std::nullopt).empty());  // no limit
  // HF: the best (2) moves just before the newest, so [1, 3, 4, 2, 5] loses 1, 3 and 4.
  const auto removed = rotate_checkpoints(dir, 2, dir / "checkpoint-2");
  EXPECT_EQ(names(removed),
            (std::vector<std::string>{"checkpoint-1", "checkpoint-3", "checkpoint-4"}));
  EXPECT_EQ(names(list_checkpoints(dir)),
            (std::vector<std::string>{"checkpoint-2", "checkpoint-5"}));
  // A limit of 1 keeps 2 while the best is not the newest (so a resume stays possible).
  rotate_checkpoints(dir, 1, dir / "checkpoint-2");
  EXPECT_EQ(names(list_checkpoints(dir)),
            (std::vector<std::string>{"checkpoint-2", "checkpoint-5"}));
  rotate_checkpoints(dir, 1, std::nullopt);
  EXPECT_EQ(names(list_checkpoints(dir)), (std::vector<std::string>{"checkpoint-5"}));
  EXPECT_EQ(entries(dir), std::vector<std::string>{"checkpoint-5"});  // no trash left behind
}

TEST(Checkpoint, StaleStagingOfDeadProcessesIsRemoved) {
  const auto dir = wizard::test::temp_dir("stale");
  const std::string dead = ".checkpoint-3.staging-2147483647-12";  // no such process id
  const std::string alive = ".checkpoint-4.staging-" + std::to_string(::getppid()) + "-7";
  touch(dir / dead / "model.safetensors");
  touch(dir / alive / "model.safetensors");
  fs::create_directories(dir / "checkpoint-2");
  EXPECT_EQ(latest_checkpoint(dir), dir / "checkpoint-2");
  EXPECT_EQ(remove_stale_staging(dir), 1);
  EXPECT_FALSE(fs::exists(dir / dead));
  EXPECT_TRUE(fs::exists(dir / alive));
}

TEST(Checkpoint, ResumableOnlyWithFullState) {
  const auto dir = wizard::test::temp_dir("resumable");
  touch(dir / "model.safetensors");
  touch(dir / kTrainerStateFile);
  EXPECT_FALSE(is_resumable_checkpoint(dir));
  for (const char* name : {kOptimizerFile, kSchedulerFile, kRngStateFile, kWizardStateFile})
    touch(dir / name);
  EXPECT_TRUE(is_resumable_checkpoint(dir));
}

TEST(Checkpoint, PublishingTheFinalModelKeepsTheRunsOtherFiles) {
  const auto dir = wizard::test::temp_dir("publish");
  touch(dir / "metrics.jsonl");
  fs::create_directories(dir / "checkpoint-4");
  // An earlier sharded save whose shards the new single-file save must not leave behind.
  touch(dir / "model-00001-of-00002.safetensors");
  touch(dir / "model-00002-of-00002.safetensors");
  touch(dir / "model.safetensors.index.json");
  const fs::path staging = dir / ".model.staging-1-1";
  touch(staging / "model.safetensors");
  touch(staging / "config.json");
  publish_model_files(staging, dir);
  EXPECT_EQ(entries(dir), (std::vector<std::string>{"checkpoint-4", "config.json", "metrics.jsonl",
                                                    "model.safetensors"}));
}
