// Model folders in the Hugging Face layout: complete, bit-identical and atomic.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "model_io_support.hpp"
#include "test_support.hpp"
#include "wizard/model/checkpoint_io.hpp"

namespace {

namespace fs = std::filesystem;
namespace model = wizard::model;
using wizard::test::expect_error;

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

class ModelFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = wizard::test::temp_dir("model_folder");
    source_ = root_ / "source";
    fs::create_directories(source_);
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "chat_template.jinja"}) {
      std::ofstream(source_ / name) << "contents of " << name;
    }
    std::ofstream(source_ / "README.md") << "not a tokenizer file";
    at::manual_seed(3);
    tensors_ = {{"model.embed_tokens.weight", at::randn({10, 4})},
                {"model.norm.weight", at::randn({4}, at::kBFloat16)},
                {"lm_head.weight", at::randn({10, 4}, at::kHalf)}};
    options_.config = {{"model_type", "llama"}, {"hidden_size", 4}, {"vocab_size", 10}};
    options_.generation_config = {{"bos_token_id", 1}};
    options_.tokenizer_source = source_;
  }

  fs::path root_;
  fs::path source_;
  wizard::safetensors::NamedTensors tensors_;
  model::SaveOptions options_;
};

TEST_F(ModelFolder, WritesEverythingAndLoadsBackBitIdentical) {
  const fs::path target = root_ / "out";
  options_.write_extra = [](const fs::path& staging) {
    std::ofstream(staging / "trainer_state.json") << "{}";
  };
  model::save_model_folder(target, tensors_, options_);
  EXPECT_EQ(listing(target),
            (std::vector<std::string>{
                "chat_template.jinja", "config.json", "generation_config.json", "model.safetensors",
                "tokenizer.json", "tokenizer_config.json", "trainer_state.json"}));
  EXPECT_EQ(listing(root_), (std::vector<std::string>{"out", "source"})) << "no staging left";
  EXPECT_EQ(wizard::test::read_bytes(target / "config.json"),
            "{\n  \"hidden_size\": 4,\n  \"model_type\": \"llama\",\n  \"vocab_size\": 10\n}\n");
  EXPECT_EQ(wizard::test::read_bytes(target / "tokenizer.json"), "contents of tokenizer.json");

  const model::TensorMap loaded = model::load_weights(target);
  ASSERT_EQ(loaded.size(), tensors_.size());
  for (const auto& [name, tensor] : tensors_) {
    const at::Tensor& back = loaded.at(name);
    EXPECT_EQ(back.scalar_type(), tensor.scalar_type()) << name;
    EXPECT_EQ(std::memcmp(back.data_ptr(), tensor.data_ptr(), tensor.nbytes()), 0) << name;
  }
  const model::TensorMap as_float = model::load_weights(target, at::kFloat);
  EXPECT_EQ(as_float.at("lm_head.weight").scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(as_float.at("model.norm.weight"), tensors_[1].second.to(at::kFloat)));
}

TEST_F(ModelFolder, ShardsAboveTheLimit) {
  EXPECT_EQ(model::kDefaultMaxShardBytes, 5'000'000'000ULL);
  // 160-byte embedding above the limit goes alone; norm (8) and lm_head (80) share one.
  options_.max_shard_bytes = 100;
  model::save_model_folder(root_ / "out", tensors_, options_);
  EXPECT_FALSE(fs::exists(root_ / "out" / "model.safetensors"));
  const nlohmann::json index =
      wizard::test::read_json(root_ / "out" / "model.safetensors.index.json");
  EXPECT_EQ(index["weight_map"],
            nlohmann::json({{"model.embed_tokens.weight", "model-00001-of-00002.safetensors"},
                            {"model.norm.weight", "model-00002-of-00002.safetensors"},
                            {"lm_head.weight", "model-00002-of-00002.safetensors"}}));
  EXPECT_TRUE(at::equal(model::load_weights(root_ / "out").at("model.embed_tokens.weight"),
                        tensors_[0].second));
}

TEST_F(ModelFolder, ReplacesAnExistingFolderAsAWhole) {
  const fs::path target = root_ / "out";
  model::save_model_folder(target, tensors_, options_);
  std::ofstream(target / "stale.txt") << "from an earlier run";
  const wizard::safetensors::NamedTensors fresh = {{"only", at::ones({2})}};
  model::SaveOptions minimal;
  model::save_model_folder(target, fresh, minimal);
  EXPECT_EQ(listing(target), std::vector<std::string>{"model.safetensors"});
  EXPECT_EQ(listing(root_), (std::vector<std::string>{"out", "source"}));
  EXPECT_TRUE(at::equal(model::load_weights(target).at("only"), at::ones({2})));
}

TEST_F(ModelFolder, AFailedSaveLeavesTheOldFolderUntouched) {
  const fs::path target = root_ / "out";
  model::save_model_folder(target, tensors_, options_);
  const std::string before = wizard::test::read_bytes(target / "model.safetensors");

  model::SaveOptions failing = options_;
  failing.write_extra = [](const fs::path&) { throw wizard::Error("disk full (simulated)"); };
  expect_error(
      [&] {
        model::save_model_folder(target, {{"x", at::zeros({1})}}, failing);
      },
      {"simulated"});
  failing.write_extra = nullptr;
  failing.tokenizer_source = root_ / "no-such-folder";
  expect_error(
      [&] {
        model::save_model_folder(target, {{"x", at::zeros({1})}}, failing);
      },
      {"no-such-folder", "not a folder"});

  EXPECT_EQ(wizard::test::read_bytes(target / "model.safetensors"), before);
  EXPECT_EQ(listing(root_), (std::vector<std::string>{"out", "source"}));
}

TEST_F(ModelFolder, RefusesToReplaceAFile) {
  std::ofstream(root_ / "file") << "x";
  expect_error([&] { model::save_model_folder(root_ / "file", tensors_, options_); },
               {"'" + (root_ / "file").string() + "'", "not a folder"});
  EXPECT_EQ(listing(root_), (std::vector<std::string>{"file", "source"}));
}

TEST_F(ModelFolder, CopiesOnlyTokenizerFilesThatExist) {
  const fs::path destination = root_ / "dest";
  fs::create_directories(destination);
  EXPECT_EQ(
      model::copy_tokenizer_files(source_, destination),
      (std::vector<std::string>{"tokenizer.json", "tokenizer_config.json", "chat_template.jinja"}));
  EXPECT_FALSE(fs::exists(destination / "README.md"));
}

TEST_F(ModelFolder, CopiesFromAReadOnlySourceAreWritable) {
  // A shared HF cache is often read-only; the saved model must stay replaceable.
  fs::permissions(source_ / "tokenizer.json", fs::perms::owner_read, fs::perm_options::replace);
  const fs::path destination = root_ / "dest-ro";
  fs::create_directories(destination);
  model::copy_tokenizer_files(source_, destination);
  const auto perms = fs::status(destination / "tokenizer.json").permissions();
  EXPECT_NE(perms & fs::perms::owner_write, fs::perms::none);
  fs::permissions(source_ / "tokenizer.json", fs::perms::owner_write, fs::perm_options::add);
}

TEST(ModelJson, WrittenAsTransformersWritesIt) {
  const fs::path file = wizard::test::temp_dir("model_json") / "config.json";
  model::write_json_file(
      file, {{"b", {1, 2}}, {"a", "\xc3\xa9"}, {"c", nullptr}, {"d", nlohmann::json::object()}});
  EXPECT_EQ(wizard::test::read_bytes(file),
            "{\n  \"a\": \"\\u00e9\",\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": null,\n"
            "  \"d\": {}\n}\n");
}

}  // namespace
