// Sharded checkpoints: transformers' split, naming and index, and reading them back.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model_io_support.hpp"
#include "test_support.hpp"
#include "wizard/model/safetensors.hpp"

namespace {

namespace fs = std::filesystem;
namespace st = wizard::safetensors;
using wizard::test::expect_error;

// Float tensors of 100 * n bytes.
at::Tensor bytes_100(int n) {
  return at::randn({25 * n}, at::kFloat);
}

std::vector<std::string> folder_listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

class SafetensorsSharded : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wizard::test::temp_dir("st_sharded");
    // Sizes 400, 400, 400, 1000, 100 bytes with a 900-byte limit. transformers'
    // split (in order; new shard when the next tensor would exceed the limit; an
    // oversized tensor alone, appended at once) gives [t0 t1] [big] [t2 t4].
    tensors_ = {{"t0", bytes_100(4)},
                {"t1", bytes_100(4)},
                {"t2", bytes_100(4)},
                {"big", bytes_100(10)},
                {"t4", bytes_100(1)}};
  }
  fs::path dir_;
  st::NamedTensors tensors_;
};

TEST_F(SafetensorsSharded, SplitsLikeTransformersAndWritesTheIndex) {
  const auto written = st::save_sharded(dir_, tensors_, 900);
  ASSERT_EQ(written.size(), 4u);
  EXPECT_EQ(written.back(), dir_ / "model.safetensors.index.json");
  EXPECT_EQ(folder_listing(dir_),
            (std::vector<std::string>{
                "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json"}));

  const nlohmann::json index = wizard::test::read_json(dir_ / "model.safetensors.index.json");
  EXPECT_EQ(index["metadata"]["total_size"], 2300);
  EXPECT_EQ(index["weight_map"], nlohmann::json({{"t0", "model-00001-of-00003.safetensors"},
                                                 {"t1", "model-00001-of-00003.safetensors"},
                                                 {"big", "model-00002-of-00003.safetensors"},
                                                 {"t2", "model-00003-of-00003.safetensors"},
                                                 {"t4", "model-00003-of-00003.safetensors"}}));
  // Formatted as json.dumps(index, indent=2, sort_keys=True) + "\n".
  const std::string text = wizard::test::read_bytes(dir_ / "model.safetensors.index.json");
  EXPECT_EQ(text.rfind("{\n  \"metadata\": {\n    \"total_size\": 2300\n  },\n", 0), 0u) << text;
  const std::string ending = "\"t4\": \"model-00003-of-00003.safetensors\"\n  }\n}\n";
  EXPECT_EQ(text.substr(text.size() - ending.size()), ending);

  const st::Checkpoint checkpoint = st::Checkpoint::open(dir_);
  EXPECT_EQ(checkpoint.files().size(), 3u);
  EXPECT_EQ(checkpoint.names(), (std::vector<std::string>{"big", "t0", "t1", "t2", "t4"}));
  EXPECT_EQ(checkpoint.index_metadata()["total_size"], 2300);
  EXPECT_EQ(checkpoint.file_of("t4").path(), dir_ / "model-00003-of-00003.safetensors");
  for (const auto& [name, tensor] : tensors_) {
    EXPECT_TRUE(at::equal(checkpoint.load(name), tensor)) << name;
    EXPECT_EQ(checkpoint.info(name).shape, tensor.sizes().vec());
  }
  EXPECT_TRUE(at::equal(st::Checkpoint::open(dir_ / "model.safetensors.index.json").load("big"),
                        tensors_[3].second));
}

TEST_F(SafetensorsSharded, OneFileWhenItFitsAndStaleShardsAreRemoved) {
  st::save_sharded(dir_, tensors_, 900);
  std::ofstream(dir_ / "config.json") << "{}";
  const auto written = st::save_sharded(dir_, tensors_, 10'000);
  EXPECT_EQ(written, std::vector<fs::path>{dir_ / "model.safetensors"});
  EXPECT_EQ(folder_listing(dir_), (std::vector<std::string>{"config.json", "model.safetensors"}));
  const st::Checkpoint checkpoint = st::Checkpoint::open(dir_);
  EXPECT_TRUE(checkpoint.index_metadata().is_null());
  EXPECT_TRUE(at::equal(checkpoint.load("t2"), tensors_[2].second));
  EXPECT_TRUE(
      at::equal(st::Checkpoint::open(dir_ / "model.safetensors").load("t0"), tensors_[0].second));
}

TEST_F(SafetensorsSharded, SingleFileWinsOverAnIndexAsInTransformers) {
  st::save_sharded(dir_, tensors_, 900);
  st::save(dir_ / "model.safetensors", {{"single", at::zeros({1})}});
  EXPECT_EQ(st::Checkpoint::open(dir_).names(), std::vector<std::string>{"single"});
}

TEST_F(SafetensorsSharded, CustomBaseName) {
  st::save_sharded(dir_, tensors_, 900, "adapter");
  EXPECT_TRUE(fs::exists(dir_ / "adapter-00002-of-00003.safetensors"));
  EXPECT_TRUE(at::equal(st::Checkpoint::open(dir_ / "adapter.safetensors.index.json").load("big"),
                        tensors_[3].second));
  expect_error([&] { st::save_sharded(dir_, tensors_, 900, "a/b"); }, {"'a/b'", "plain file name"});
}

TEST_F(SafetensorsSharded, MissingShardIsNamed) {
  st::save_sharded(dir_, tensors_, 900);
  fs::remove(dir_ / "model-00002-of-00003.safetensors");
  expect_error([&] { st::Checkpoint::open(dir_); },
               {"model.safetensors.index.json", "shard 'model-00002-of-00003.safetensors'", "'big'",
                "missing", (dir_ / "model-00002-of-00003.safetensors").string()});
}

TEST_F(SafetensorsSharded, IndexThatDisagreesWithItsShards) {
  st::save_sharded(dir_, tensors_, 900);
  const fs::path index_file = dir_ / "model.safetensors.index.json";
  nlohmann::json index = wizard::test::read_json(index_file);

  index["weight_map"]["t0"] = "model-00002-of-00003.safetensors";
  std::ofstream(index_file) << index.dump();
  expect_error([&] { st::Checkpoint::open(dir_); },
               {"tensor 't0'", "model-00002-of-00003.safetensors", "has no such tensor"});

  index["weight_map"]["t0"] = "../elsewhere.safetensors";
  std::ofstream(index_file) << index.dump();
  expect_error([&] { st::Checkpoint::open(dir_); },
               {"'../elsewhere.safetensors'", "not a file name in the checkpoint folder"});

  std::ofstream(index_file) << R"({"metadata": {}})";
  expect_error([&] { st::Checkpoint::open(dir_); }, {index_file.string(), "no \"weight_map\""});

  std::ofstream(index_file) << "{oops";
  expect_error([&] { st::Checkpoint::open(dir_); }, {index_file.string(), "not valid JSON"});
}

TEST_F(SafetensorsSharded, FolderWithoutSafetensors) {
  expect_error([&] { st::Checkpoint::open(dir_); },
               {"no safetensors checkpoint", (dir_ / "model.safetensors.index.json").string(),
                (dir_ / "model.safetensors").string()});
  std::ofstream(dir_ / "pytorch_model.bin") << "pickle";
  expect_error([&] { st::Checkpoint::open(dir_); }, {"pytorch_model.bin", "safe_serialization"});
  expect_error([&] { st::Checkpoint::open(dir_ / "nowhere"); }, {"nowhere", "does not exist"});
  st::save(dir_ / "model.safetensors", {{"x", at::zeros({1})}});
  expect_error([&] { st::Checkpoint::open(dir_).load("y"); }, {"no tensor named 'y'"});
}

}  // namespace
