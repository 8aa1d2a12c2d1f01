// The golden checkpoints written by transformers (../shared/refs) and the compat
// hub cache (../shared/compat): wizard reads them, their tensors match what the
// configs imply, and re-saving reproduces the files byte for byte.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <set>

#include "model_io_support.hpp"
#include "test_support.hpp"
#include "wizard/model/checkpoint_io.hpp"
#include "wizard/model/hub.hpp"
#include "wizard/model/safetensors.hpp"

namespace {

namespace fs = std::filesystem;
namespace st = wizard::safetensors;
using nlohmann::json;

std::vector<fs::path> model_folders() {
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(wizard::test::refs_dir() / "models")) {
    if (fs::exists(entry.path() / "model.safetensors")) folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  return folders;
}

at::ScalarType torch_dtype(const std::string& name) {
  static const std::map<std::string, at::ScalarType> dtypes = {
      {"float64", at::kDouble},    {"float32", at::kFloat}, {"float16", at::kHalf},
      {"bfloat16", at::kBFloat16}, {"int64", at::kLong},    {"int32", at::kInt},
      {"int16", at::kShort},       {"int8", at::kChar},     {"uint8", at::kByte},
      {"bool", at::kBool}};
  return dtypes.at(name);
}

std::vector<int64_t> shape_of(const st::Checkpoint& checkpoint, const std::string& name) {
  EXPECT_TRUE(checkpoint.contains(name)) << name;
  return checkpoint.contains(name) ? checkpoint.info(name).shape : std::vector<int64_t>{};
}

// Re-saving every tensor with the file's metadata must give the same bytes.
void expect_resave_identical(const fs::path& file) {
  const st::File original = st::File::open(file);
  st::NamedTensors tensors;
  for (const st::TensorInfo& info : original.tensors()) {
    tensors.emplace_back(info.name, original.load(info.name));
  }
  const fs::path copy = wizard::test::temp_dir("refs_resave") / file.filename();
  st::save(copy, tensors, original.metadata());
  EXPECT_TRUE(wizard::test::read_bytes(copy) == wizard::test::read_bytes(file))
      << "re-saving " << file << " changed its bytes";
}

// The loose shape contract between a Llama-family config and its weights.
void expect_weights_match_config(const st::Checkpoint& checkpoint, const json& config) {
  const int64_t hidden = config["hidden_size"];
  const int64_t vocab = config["vocab_size"];
  const int64_t heads = config["num_attention_heads"];
  const int64_t kv_heads = config.value("num_key_value_heads", heads);
  const int64_t head_dim = config.contains("head_dim") && !config["head_dim"].is_null()
                               ? config["head_dim"].get<int64_t>()
                               : hidden / heads;
  const int64_t intermediate = config["intermediate_size"];
  const int64_t layers = config["num_hidden_layers"];

  EXPECT_EQ(shape_of(checkpoint, "model.embed_tokens.weight"),
            (std::vector<int64_t>{vocab, hidden}));
  EXPECT_EQ(shape_of(checkpoint, "model.norm.weight"), std::vector<int64_t>{hidden});
  EXPECT_EQ(checkpoint.contains("lm_head.weight"), !config.value("tie_word_embeddings", false));
  std::set<int64_t> layer_indices;
  for (const std::string& name : checkpoint.names()) {
    if (name.rfind("model.layers.", 0) == 0) layer_indices.insert(std::stoll(name.substr(13)));
  }
  EXPECT_EQ(static_cast<int64_t>(layer_indices.size()), layers);
  for (int64_t layer : layer_indices) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    EXPECT_EQ(shape_of(checkpoint, prefix + "self_attn.q_proj.weight"),
              (std::vector<int64_t>{heads * head_dim, hidden}));
    EXPECT_EQ(shape_of(checkpoint, prefix + "self_attn.k_proj.weight"),
              (std::vector<int64_t>{kv_heads * head_dim, hidden}));
    EXPECT_EQ(shape_of(checkpoint, prefix + "self_attn.o_proj.weight"),
              (std::vector<int64_t>{hidden, heads * head_dim}));
    EXPECT_EQ(shape_of(checkpoint, prefix + "mlp.gate_proj.weight"),
              (std::vector<int64_t>{intermediate, hidden}));
    EXPECT_EQ(shape_of(checkpoint, prefix + "mlp.down_proj.weight"),
              (std::vector<int64_t>{hidden, intermediate}));
    EXPECT_EQ(shape_of(checkpoint, prefix + "input_layernorm.weight"),
              std::vector<int64_t>{hidden});
  }
  if (config.contains("torch_dtype")) {
    for (const std::string& name : checkpoint.names()) {
      EXPECT_EQ(checkpoint.info(name).dtype, torch_dtype(config["torch_dtype"])) << name;
    }
  }
}

TEST(RefsModels, EveryCheckpointMatchesItsConfigAndResavesIdentically) {
  const auto folders = model_folders();
  ASSERT_FALSE(folders.empty()) << "no models under " << wizard::test::refs_dir() / "models";
  for (const fs::path& folder : folders) {
    SCOPED_TRACE(folder.string());
    const st::Checkpoint checkpoint = st::Checkpoint::open(folder);
    EXPECT_EQ(checkpoint.files().front().metadata(), st::default_metadata());
    expect_weights_match_config(checkpoint, wizard::test::read_json(folder / "config.json"));
    const wizard::model::TensorMap weights = wizard::model::load_weights(folder, at::kFloat);
    EXPECT_EQ(weights.size(), checkpoint.names().size());
    for (const auto& [name, tensor] : weights) {
      EXPECT_TRUE(at::isfinite(tensor).all().item<bool>()) << name;
    }
    expect_resave_identical(folder / "model.safetensors");
  }
}

TEST(RefsModels, ReferenceTensorsMatchTheirDescription) {
  for (const fs::path& folder : model_folders()) {
    if (!fs::exists(folder / "reference.safetensors")) continue;
    SCOPED_TRACE(folder.string());
    const json described = wizard::test::read_json(folder / "reference.json")["tensors"];
    const st::File file = st::File::open(folder / "reference.safetensors");
    EXPECT_EQ(file.tensors().size(), described.size());
    for (const auto& [name, entry] : described.items()) {
      ASSERT_TRUE(file.contains(name)) << name;
      EXPECT_EQ(file.info(name).dtype, torch_dtype(entry["dtype"])) << name;
      EXPECT_EQ(file.info(name).shape, entry["shape"].get<std::vector<int64_t>>()) << name;
      EXPECT_EQ(file.load(name).sizes().vec(), entry["shape"].get<std::vector<int64_t>>()) << name;
    }
    expect_resave_identical(folder / "reference.safetensors");
  }
}

TEST(CompatHubCache, ResolvesTheTrainingWizardExampleModel) {
  const char* compat = std::getenv("WIZARD_COMPAT");
  const fs::path hf_home =
      (compat ? fs::path(compat) : wizard::test::source_dir() / ".." / "shared" / "compat") /
      "hf_cache";
  ASSERT_TRUE(fs::is_directory(hf_home)) << hf_home;
  const wizard::test::ScopedEnv home("HF_HOME", hf_home.string());
  const wizard::test::ScopedEnv hub_cache("HF_HUB_CACHE", std::nullopt);
  const wizard::test::ScopedEnv old_hub_cache("HUGGINGFACE_HUB_CACHE", std::nullopt);
  const wizard::test::ScopedEnv legacy("TRANSFORMERS_CACHE", std::nullopt);

  const fs::path folder = wizard::hub::resolve_model("llamafactory/tiny-random-Llama-3");
  const std::string commit = wizard::test::read_bytes(
      hf_home / "hub" / "models--llamafactory--tiny-random-Llama-3" / "refs" / "main");
  EXPECT_EQ(folder.filename().string(), commit.substr(0, commit.find_last_not_of(" \n") + 1));
  const st::Checkpoint checkpoint = st::Checkpoint::open(folder);
  expect_weights_match_config(checkpoint, wizard::test::read_json(folder / "config.json"));
  EXPECT_TRUE(fs::exists(folder / "tokenizer.json"));
}

}  // namespace
