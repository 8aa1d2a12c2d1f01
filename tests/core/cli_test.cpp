// The wizard binary end to end: exit codes and the messages users see.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

using Result = wizard::test::RunResult;
using wizard::test::read_text;
using wizard::test::run_wizard;

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A folder with a small dataset and an inspect config for it.
fs::path inspect_project(const std::string& name, const std::string& extra_config = "") {
  const fs::path dir = wizard::test::temp_dir(name);
  write(dir / "rows.jsonl",
        "{\"prompt\": \"2+2\", \"chosen\": \"4\", \"rejected\": \"5\"}\n"
        "{\"prompt\": \"3+3\", \"chosen\": \"6\", \"rejected\": \"7\"}\n");
  write(dir / "config.toml",
        "spec_class = \"inspect\"\nshow_rows = 1\noutput_dir = \"out\"\n" + extra_config +
            "\n[dataset_spec]\nspec_class = \"jsonl\"\ndata_files = \"rows.jsonl\"\n");
  return dir;
}

#define EXPECT_CONTAINS(haystack, needle)                                                       \
  EXPECT_NE((haystack).find(needle), std::string::npos) << "missing: " << (needle) << "\nin:\n" \
                                                        << (haystack)

}  // namespace

TEST(Cli, VersionNamesWizardAbiAndLibTorch) {
  const Result r = run_wizard("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_CONTAINS(r.output, "wizard ");
  EXPECT_CONTAINS(r.output, "plugin ABI ");
  EXPECT_CONTAINS(r.output, "LibTorch ");
}

TEST(Cli, HelpEverywhere) {
  EXPECT_EQ(run_wizard("--help").exit_code, 0);
  EXPECT_CONTAINS(run_wizard("--help").output, "Commands:");
  for (const char* command : {"run", "check", "plugins", "help"}) {
    const Result r = run_wizard(std::string(command) + " --help");
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_CONTAINS(r.output, std::string("Usage: wizard ") + command);
  }
  EXPECT_EQ(run_wizard("").exit_code, 2);
}

TEST(Cli, UnknownCommandAndOptionAreUsageErrors) {
  const Result command = run_wizard("trian config.toml");
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_CONTAINS(command.output, "unknown command 'trian'");
  const Result option = run_wizard("run config.toml --sett a=1");
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_CONTAINS(option.output, "wizard run --help");
}

TEST(Cli, PluginsListsTheBuiltins) {
  const Result r = run_wizard("plugins");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_CONTAINS(r.output, "jsonl");
  EXPECT_CONTAINS(r.output, "inspect");
  const Result recipes = run_wizard("plugins --kind recipe");
  EXPECT_CONTAINS(recipes.output, "inspect");
  EXPECT_EQ(recipes.output.find("jsonl"), std::string::npos);
  EXPECT_EQ(run_wizard("plugins --kind gadget").exit_code, 2);
}

TEST(Cli, HelpPrintsAPluginsOptions) {
  const Result r = run_wizard("help jsonl");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_CONTAINS(r.output, "data_files");
  EXPECT_CONTAINS(r.output, "datasource");
  const Result unknown = run_wizard("help jsnol");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_CONTAINS(unknown.output, "did you mean 'jsonl'?");
}

TEST(Cli, RunInspectWritesTheRunFolder) {
  const fs::path dir = inspect_project("cli-run");
  const Result r = run_wizard("run config.toml", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_CONTAINS(r.output, "rows:    2");
  EXPECT_CONTAINS(r.output, "chosen: 4");
  EXPECT_TRUE(fs::exists(dir / "out" / "resolved_config.toml"));
  EXPECT_TRUE(fs::exists(dir / "out" / "wizard.log"));
  EXPECT_TRUE(fs::exists(dir / "out" / "inspect.json"));
  const std::string text = read_text(dir / "out" / "resolved_config.toml");
  EXPECT_CONTAINS(text, "show_rows = 1");
}

TEST(Cli, OverridesApplyAndReachTheResolvedConfig) {
  const fs::path dir = inspect_project("cli-set");
  const Result r = run_wizard("run config.toml --set show_rows=0 --set output_dir=elsewhere", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("row 0"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "elsewhere" / "resolved_config.toml"));
}

TEST(Cli, CheckBuildsWithoutRunning) {
  const fs::path dir = inspect_project("cli-check");
  const Result r = run_wizard("check config.toml --print-config", dir);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_CONTAINS(r.output, "check passed");
  EXPECT_CONTAINS(r.output, "show_rows = 1");
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Cli, ConfigErrorsExitTwoWithFileLineAndHint) {
  const fs::path dir = inspect_project("cli-typo", "show_row = 2");
  const Result typo = run_wizard("run config.toml", dir);
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_CONTAINS(typo.output, "config.toml:4:");
  EXPECT_CONTAINS(typo.output, "did you mean 'show_rows'?");

  const fs::path good = inspect_project("cli-errors");
  const Result wrong_type = run_wizard("check config.toml --set show_rows=many", good);
  EXPECT_EQ(wrong_type.exit_code, 2);
  EXPECT_CONTAINS(wrong_type.output, "show_rows must be an integer, but it is a string (\"many\")");

  const Result missing = run_wizard("run nowhere.toml", good);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_CONTAINS(missing.output, "nowhere.toml: cannot open the config file");

  const Result unknown_plugin =
      run_wizard("check config.toml --set dataset_spec.spec_class=jsnol", good);
  EXPECT_EQ(unknown_plugin.exit_code, 2);
  EXPECT_CONTAINS(unknown_plugin.output, "unknown datasource 'jsnol'; did you mean 'jsonl'?");

  const Result no_data =
      run_wizard("check config.toml --set dataset_spec.data_files=absent.jsonl", good);
  EXPECT_EQ(no_data.exit_code, 2);
  EXPECT_CONTAINS(no_data.output, "'absent.jsonl' matches no file");
}

TEST(Cli, MalformedDataIsARuntimeErrorNamingFileAndLine) {
  const fs::path dir = inspect_project("cli-malformed");
  write(dir / "rows.jsonl", "{\"a\": 1}\n{\"a\": 2,}\n");
  const Result r = run_wizard("run config.toml", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.output, "rows.jsonl:2:");
  EXPECT_CONTAINS(r.output, "malformed JSON line");
}

TEST(Cli, PluginPathAndEnvironmentAddFolders) {
  const Result flag =
      run_wizard(std::string("plugins --kind loss --plugin-path ") + TEST_GOOD_PLUGIN_DIR);
  EXPECT_CONTAINS(flag.output, "ScaledSigmoid");
  EXPECT_CONTAINS(flag.output, "2.3.4");
  const Result env = run_wizard("help ScaledSigmoid", fs::current_path(),
                                std::string("WIZARD_PLUGIN_PATH=") + TEST_GOOD_PLUGIN_DIR);
  EXPECT_EQ(env.exit_code, 0) << env.output;
  EXPECT_CONTAINS(env.output, "multiplies the log-prob margin");
  EXPECT_EQ(run_wizard("plugins --plugin-path /nonexistent-dir").exit_code, 2);
}

TEST(Cli, WrongAbiPluginIsReportedNotLoaded) {
  const Result r = run_wizard(std::string("plugins --plugin-path ") + TEST_WRONG_ABI_PLUGIN_DIR);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_CONTAINS(r.output, "not loaded:");
  EXPECT_CONTAINS(r.output, "built for wizard ABI 999 with LibTorch 9.9");
}

TEST(Cli, InitModelWritesALoadableFolder) {
  const fs::path dir = wizard::test::temp_dir("cli-init-model");
  const Result r = run_wizard("init-model " + (dir / "m").string() + " --hidden_size 32 --seed 7");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* file :
       {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}) {
    EXPECT_TRUE(fs::exists(dir / "m" / file)) << file;
  }
  const std::string text = read_text(dir / "m" / "config.json");
  EXPECT_CONTAINS(text, "\"hidden_size\": 32");
  const Result bad = run_wizard("init-model " + (dir / "x").string() + " --num_attention_heads 5");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  const Result preset = run_wizard("init-model " + (dir / "y").string() + " --preset qwen9");
  EXPECT_EQ(preset.exit_code, 2);
  EXPECT_CONTAINS(preset.output, "qwen2.5-0.5b");
}
