// Resolving hub names in a cache laid out like huggingface_hub's, offline.
#include <gtest/gtest.h>

#include <fstream>

#include "model_io_support.hpp"
#include "test_support.hpp"
#include "wizard/model/hub.hpp"
#include "wizard/model/safetensors.hpp"

namespace {

namespace fs = std::filesystem;
namespace hub = wizard::hub;
using wizard::test::expect_error;
using wizard::test::read_text;
using wizard::test::ScopedEnv;

const std::string kMainCommit = "1111111111111111111111111111111111111111";
const std::string kTagCommit = "2222222222222222222222222222222222222222";

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A cache holding org/tiny: refs/main -> a snapshot of real files; refs/v1 -> a
// snapshot of symlinks into blobs/ (what a real download writes).
class HubCache : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = wizard::test::temp_dir("hub_cache") / "hub";
    repo_ = cache_ / "models--org--tiny";
    write_text(repo_ / "refs" / "main", kMainCommit);  // no newline, as huggingface_hub writes
    write_text(repo_ / "snapshots" / kMainCommit / "config.json", "{\"layout\": \"files\"}");

    write_text(repo_ / "refs" / "v1", kTagCommit + "\n");
    write_text(repo_ / "blobs" / "aaaa", "{\"layout\": \"symlinks\"}");
    wizard::safetensors::save(repo_ / "blobs" / "bbbb", {{"w", at::arange(3, at::kFloat)}});
    const fs::path snapshot = repo_ / "snapshots" / kTagCommit;
    fs::create_directories(snapshot);
    fs::create_symlink("../../blobs/aaaa", snapshot / "config.json");
    fs::create_symlink("../../blobs/bbbb", snapshot / "model.safetensors");
  }

  fs::path cache_;
  fs::path repo_;
};

TEST_F(HubCache, MainRefPointsAtASnapshotOfFiles) {
  const fs::path folder = hub::resolve_in_cache(cache_, hub::parse_reference("org/tiny"));
  EXPECT_EQ(folder, repo_ / "snapshots" / kMainCommit);
  EXPECT_EQ(read_text(folder / "config.json"), "{\"layout\": \"files\"}");
}

TEST_F(HubCache, SnapshotOfSymlinksIntoBlobs) {
  const fs::path folder = hub::resolve_in_cache(cache_, hub::parse_reference("org/tiny", "v1"));
  EXPECT_EQ(folder, repo_ / "snapshots" / kTagCommit);
  EXPECT_EQ(read_text(folder / "config.json"), "{\"layout\": \"symlinks\"}");
  const auto checkpoint = wizard::safetensors::Checkpoint::open(folder);
  EXPECT_TRUE(at::equal(checkpoint.load("w"), at::arange(3, at::kFloat)));
}

TEST_F(HubCache, RevisionThatIsACommitHash) {
  EXPECT_EQ(hub::resolve_in_cache(cache_, hub::parse_reference("org/tiny", kTagCommit)),
            repo_ / "snapshots" / kTagCommit);
  EXPECT_EQ(hub::resolve_in_cache(cache_, hub::parse_reference("org/tiny@" + kMainCommit)),
            repo_ / "snapshots" / kMainCommit);
}

TEST_F(HubCache, MissingModelSaysWhereItLookedAndWhatToDo) {
  const ScopedEnv hub_cache("HF_HUB_CACHE", cache_.string());
  const ScopedEnv legacy("TRANSFORMERS_CACHE", std::nullopt);
  expect_error([] { hub::resolve_model("other/model"); },
               {"'other/model'", "local folder", (fs::current_path() / "other/model").string(),
                (cache_ / "models--other--model").string(), "HF_HUB_CACHE=" + cache_.string(),
                "huggingface-cli download other/model", "snapshot_download('other/model')",
                "never downloads"});
  expect_error([] { hub::resolve_model("org/tiny", "v9"); },
               {(repo_ / "refs" / "v9").string(), (repo_ / "snapshots" / "v9").string(),
                "--revision v9", "revision=\"v9\""});
  fs::remove(repo_ / "snapshots" / kMainCommit / "config.json");
  fs::remove(repo_ / "snapshots" / kMainCommit);
  expect_error(
      [] { hub::resolve_model("org/tiny"); },
      {"names commit '" + kMainCommit + "'", (repo_ / "snapshots" / kMainCommit).string()});
}

TEST_F(HubCache, ResolveModelUsesTheEnvironmentsCache) {
  const ScopedEnv legacy("TRANSFORMERS_CACHE", std::nullopt);
  const ScopedEnv hub_cache("HF_HUB_CACHE", std::nullopt);
  const ScopedEnv old_hub_cache("HUGGINGFACE_HUB_CACHE", std::nullopt);
  const ScopedEnv home("HF_HOME", cache_.parent_path().string());
  EXPECT_EQ(hub::resolve_model("org/tiny"), repo_ / "snapshots" / kMainCommit);
  EXPECT_EQ(hub::resolve_model("org/tiny@v1"), repo_ / "snapshots" / kTagCommit);
}

TEST_F(HubCache, LocalFolderWinsAsIs) {
  EXPECT_EQ(hub::resolve_model(repo_.string()), repo_);
  // A relative folder that happens to look like a hub name is a local folder (as in transformers).
  const fs::path work = wizard::test::temp_dir("hub_local");
  fs::create_directories(work / "org" / "tiny");
  const fs::path previous = fs::current_path();
  fs::current_path(work);
  const fs::path resolved = hub::resolve_model("org/tiny");
  fs::current_path(previous);
  EXPECT_EQ(resolved, fs::path("org/tiny"));
}

TEST(HubCacheRoot, EnvironmentPrecedence) {
  const ScopedEnv a("TRANSFORMERS_CACHE", std::nullopt);
  const ScopedEnv b("PYTORCH_TRANSFORMERS_CACHE", std::nullopt);
  const ScopedEnv c("PYTORCH_PRETRAINED_BERT_CACHE", std::nullopt);
  const ScopedEnv d("HF_HUB_CACHE", std::nullopt);
  const ScopedEnv e("HUGGINGFACE_HUB_CACHE", std::nullopt);
  const ScopedEnv f("HF_HOME", std::nullopt);
  const ScopedEnv g("XDG_CACHE_HOME", std::nullopt);
  const ScopedEnv home("HOME", "/home/tester");

  EXPECT_EQ(hub::cache_root().path, fs::path("/home/tester/.cache/huggingface/hub"));
  {
    const ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(hub::cache_root().path, fs::path("/xdg/huggingface/hub"));
    const ScopedEnv hf_home("HF_HOME", "~/hf");
    EXPECT_EQ(hub::cache_root().path, fs::path("/home/tester/hf/hub"));
    EXPECT_NE(hub::cache_root().reason.find("HF_HOME=~/hf"), std::string::npos);
    const ScopedEnv old_hub("HUGGINGFACE_HUB_CACHE", "/old-hub");
    EXPECT_EQ(hub::cache_root().path, fs::path("/old-hub"));
    const ScopedEnv hub_cache("HF_HUB_CACHE", "/hub");
    EXPECT_EQ(hub::cache_root().path, fs::path("/hub"));
    const ScopedEnv empty_is_unset("TRANSFORMERS_CACHE", "");
    EXPECT_EQ(hub::cache_root().path, fs::path("/hub"));
    const ScopedEnv legacy("PYTORCH_TRANSFORMERS_CACHE", "/legacy");
    EXPECT_EQ(hub::cache_root().path, fs::path("/legacy"));
    const ScopedEnv transformers("TRANSFORMERS_CACHE", "/transformers");
    EXPECT_EQ(hub::cache_root().path, fs::path("/transformers"));
    EXPECT_EQ(hub::cache_root().reason, "TRANSFORMERS_CACHE=/transformers");
  }
}

TEST(HubReference, ParsesAndValidatesNames) {
  EXPECT_EQ(hub::parse_reference("org/name").revision, "main");
  EXPECT_EQ(hub::parse_reference("gpt2").repo_id, "gpt2");
  EXPECT_EQ(hub::parse_reference("Org_1/name-2.5@dev").repo_id, "Org_1/name-2.5");
  EXPECT_EQ(hub::parse_reference("Org_1/name-2.5@dev").revision, "dev");
  EXPECT_EQ(hub::parse_reference("org/name@dev", "v2").revision, "v2");
  EXPECT_EQ(hub::parse_reference("org/name", "refs/pr/1").revision, "refs/pr/1");
  EXPECT_EQ(hub::repo_folder("/c", "org/name"), fs::path("/c/models--org--name"));

  expect_error([] { hub::parse_reference("a/b/c"); }, {"'a/b/c'", "local folder", "one '/'"});
  expect_error([] { hub::parse_reference("org--x/y"); }, {"\"--\""});
  expect_error([] { hub::parse_reference("-bad/name"); }, {"starts or ends"});
  expect_error([] { hub::parse_reference("org/name.git"); }, {".git"});
  expect_error([] { hub::parse_reference("org/na me"); }, {"character ' '"});
  expect_error([] { hub::parse_reference("org/name", "../../etc"); }, {"'../../etc'"});
  expect_error([] { hub::resolve_model(""); }, {"no model given"});
  // Too long for a file name: still a wizard::Error, not a filesystem exception.
  expect_error([] { hub::resolve_model(std::string(5000, 'a')); }, {"longer than 96"});
}

}  // namespace
