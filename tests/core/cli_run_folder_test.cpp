// The wizard binary with folders that are taken, full or odd: a second run into a locked
// folder, init-model into a folder with files, absurd model sizes, folders that cannot be
// made or written, plugin folders holding files that are not plugins. Every message says
// what failed and where, in words (no library exception text).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>

#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

using Result = wizard::test::RunResult;
using wizard::test::run_wizard;

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

fs::path inspect_project(const std::string& name, const std::string& output_dir = "out") {
  const fs::path dir = wizard::test::temp_dir(name);
  write(dir / "rows.jsonl", "{\"prompt\": \"2+2\", \"chosen\": \"4\", \"rejected\": \"5\"}\n");
  write(dir / "config.toml", "spec_class = \"inspect\"\noutput_dir = \"" + output_dir +
                                 "\"\n[dataset_spec]\nspec_class = \"jsonl\"\n"
                                 "data_files = \"rows.jsonl\"\n");
  return dir;
}

#define EXPECT_CONTAINS(haystack, needle)                                                       \
  EXPECT_NE((haystack).find(needle), std::string::npos) << "missing: " << (needle) << "\nin:\n" \
                                                        << (haystack)
#define EXPECT_NO_LIBRARY_TEXT(output)                                  \
  do {                                                                  \
    EXPECT_EQ((output).find("filesystem error"), std::string::npos);    \
    EXPECT_EQ((output).find("json.exception"), std::string::npos);      \
    EXPECT_EQ((output).find("unexpected error"), std::string::npos);    \
    EXPECT_EQ((output).find("Failed opening file"), std::string::npos); \
  } while (false)

}  // namespace

TEST(CliRunFolder, ASecondRunIntoALockedFolderIsRefusedNamingTheHolder) {
  const fs::path dir = inspect_project("cli-locked");
  fs::create_directories(dir / "out");
  // This test process holds the folder as a running wizard would.
  const int fd = ::open((dir / "out" / ".wizard.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  const std::string holder = "pid " + std::to_string(::getpid()) + "\ncommand wizard run x.toml\n";
  ASSERT_EQ(::write(fd, holder.data(), holder.size()), static_cast<ssize_t>(holder.size()));
  const Result refused = run_wizard("run config.toml", dir);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_CONTAINS(refused.output, "out is in use by process " + std::to_string(::getpid()));
  EXPECT_CONTAINS(refused.output, "`wizard run x.toml`");
  EXPECT_FALSE(fs::exists(dir / "out" / "inspect.json"));
  ::close(fd);  // released: the run goes ahead
  const Result after = run_wizard("run config.toml", dir);
  EXPECT_EQ(after.exit_code, 0) << after.output;
  // `check` writes nothing and takes no lock.
  const fs::path checked = inspect_project("cli-check-no-lock");
  EXPECT_EQ(run_wizard("check config.toml", checked).exit_code, 0);
  EXPECT_FALSE(fs::exists(checked / "out"));
}

TEST(CliRunFolder, InitModelRefusesAFolderWithFilesUnlessOverwrite) {
  const fs::path dir = wizard::test::temp_dir("cli-init-nonempty");
  write(dir / "notes.txt", "my work\n");
  const Result refused = run_wizard("init-model " + dir.string());
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_CONTAINS(refused.output, dir.string() + " is not empty (notes.txt)");
  EXPECT_CONTAINS(refused.output, "--overwrite");
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  EXPECT_FALSE(fs::exists(dir / "config.json"));
  const Result replaced = run_wizard("init-model " + dir.string() + " --overwrite");
  EXPECT_EQ(replaced.exit_code, 0) << replaced.output;
  EXPECT_TRUE(fs::exists(dir / "config.json"));
  EXPECT_FALSE(fs::exists(dir / "notes.txt"));
  // An empty folder, or a new one, needs nothing.
  const fs::path empty = wizard::test::temp_dir("cli-init-empty");
  EXPECT_EQ(run_wizard("init-model " + empty.string()).exit_code, 0);
}

TEST(CliRunFolder, InitModelRefusesImpossibleSizesWithTheFigure) {
  const fs::path dir = wizard::test::temp_dir("cli-init-huge") / "m";
  const Result huge = run_wizard("init-model " + dir.string() +
                                 " --hidden_size 65536 --intermediate_size 262144"
                                 " --num_hidden_layers 2000 --num_attention_heads 64");
  EXPECT_EQ(huge.exit_code, 2) << huge.output;
  EXPECT_CONTAINS(huge.output, "parameters:");
  EXPECT_CONTAINS(huge.output, "GiB of float32 weights");
  EXPECT_CONTAINS(huge.output, "more than this machine's");
  EXPECT_FALSE(fs::exists(dir));
  const Result absurd = run_wizard("init-model " + dir.string() + " --hidden_size 99999999999");
  EXPECT_EQ(absurd.exit_code, 2) << absurd.output;
  EXPECT_CONTAINS(absurd.output, "hidden_size must be in [1, 1048576], got 99999999999");
  const Result nan = run_wizard("init-model " + dir.string() + " --rope_theta nan");
  EXPECT_EQ(nan.exit_code, 2) << nan.output;
  EXPECT_CONTAINS(nan.output, "'nan' is not a finite number");
}

TEST(CliRunFolder, FoldersThatCannotBeWrittenAreNamedInWords) {
  const fs::path dir = inspect_project("cli-not-a-folder", "blocker/out");
  write(dir / "blocker", "a file where a folder should be\n");
  const Result blocked = run_wizard("run config.toml", dir);
  EXPECT_EQ(blocked.exit_code, 1) << blocked.output;
  EXPECT_CONTAINS(blocked.output, "cannot create the folder blocker/out");
  EXPECT_NO_LIBRARY_TEXT(blocked.output);

  const fs::path log = inspect_project("cli-log-unwritable");
  fs::create_directories(log / "out" / "wizard.log");  // a folder where the log file goes
  const Result no_log = run_wizard("run config.toml", log);
  EXPECT_EQ(no_log.exit_code, 1) << no_log.output;
  EXPECT_CONTAINS(no_log.output, "cannot write the run's log file");
  EXPECT_NO_LIBRARY_TEXT(no_log.output);
}

TEST(CliRunFolder, ConfigSyntaxErrorsAreInWords) {
  const fs::path dir = wizard::test::temp_dir("cli-json-config");
  write(dir / "config.json", "{\"spec_class\": \"inspect\", \"x\": \"\\u12\"}\n");
  const Result json = run_wizard("check config.json", dir);
  EXPECT_EQ(json.exit_code, 2) << json.output;
  EXPECT_CONTAINS(json.output, "config.json:1:");
  EXPECT_NO_LIBRARY_TEXT(json.output);
  write(dir / "config.yaml", "spec_class: inspect\n---\nspec_class: cpo\n");
  const Result yaml = run_wizard("check config.yaml", dir);
  EXPECT_EQ(yaml.exit_code, 2) << yaml.output;
  EXPECT_CONTAINS(yaml.output, "holds more than one YAML document");
}

TEST(CliRunFolder, PluginsListsFilesThatCouldNotBeLoaded) {
  const fs::path dir = wizard::test::temp_dir("cli-bogus-plugin");
  write(dir / "libbroken.so", "this is not a shared library\n");
  const Result r = run_wizard("plugins --plugin-path " + dir.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_CONTAINS(r.output, "not loaded: " + (dir / "libbroken.so").string());
  EXPECT_CONTAINS(r.output, "not a readable shared library");
  // A library that is no wizard plugin is listed too, with its reason.
  const Result other = run_wizard(std::string("plugins --plugin-path ") + TEST_GOOD_PLUGIN_DIR);
  EXPECT_CONTAINS(other.output, "libtest_not_a_plugin.so");
  EXPECT_CONTAINS(other.output, "not a wizard plugin");
}
