// The built-in datasource and sampler plugins, loaded through the host's
// registry from the build's plugin folder and configured from TOML, on small
// files in a temporary folder; and the training-wizard CPO example's data
// through template_preference and TRL's pipeline.
#include <algorithm>

#include "config_files.hpp"
#include "data_test_util.hpp"
#include "plugin_registry.hpp"
#include "wizard/data/files.hpp"
#include "wizard/data/preference_tokenization.hpp"
#include "wizard/model/hub.hpp"
#include "wizard/plugin/datasource.hpp"
#include "wizard/plugin/sampler.hpp"

namespace wizard {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using test::write_file;

core::PluginRegistry& registry() {
  static core::PluginRegistry loaded({test::plugin_dir()});
  return loaded;
}

class DataSourcePlugins : public ::testing::Test {
 protected:
  fs::path dir = test::temp_dir("data-plugins");

  // The datasource the TOML table names, as if written in dir/config.toml.
  Dataset load(const std::string& toml) {
    return registry().create_from<DataSource>(table(toml))->load();
  }
  Config table(const std::string& toml) {
    return Config(core::read_toml(toml, (dir / "config.toml").string()));
  }
  std::string path(const std::string& name) { return (dir / name).string(); }
};

std::vector<std::string> column(const Dataset& rows, const std::string& name) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(rows.row(i)[name].dump());
  return out;
}

TEST_F(DataSourcePlugins, JsonlReadsListsAndGlobsInOrder) {
  write_file(dir, "b.jsonl", "{\"v\": \"b\"}\n");
  write_file(dir, "parts/2.jsonl", "{\"v\": \"p2\"}\n");
  write_file(dir, "parts/1.jsonl", "{\"v\": \"p1\"}\n{\"v\": \"p1b\"}\n");
  // Relative paths are found next to the config file.
  const Dataset rows = load("spec_class = 'jsonl'\ndata_files = ['b.jsonl', 'parts/*.jsonl']\n");
  EXPECT_EQ(column(rows, "v"), (std::vector<std::string>{"\"b\"", "\"p1\"", "\"p1b\"", "\"p2\""}));
  EXPECT_EQ(rows.where(2), path("parts/1.jsonl") + ":2");
}

TEST_F(DataSourcePlugins, MalformedLineIsAnErrorWithFileLineColumn) {
  write_file(dir, "bad.jsonl", "{\"v\": 1}\n{\"v\": }\n");
  EXPECT_CONTAINS(error_of([&] { load("spec_class = 'jsonl'\ndata_files = 'bad.jsonl'\n"); }),
                  path("bad.jsonl") + ":2:7: malformed JSON line");
  EXPECT_CONTAINS(error_of([&] { load("spec_class = 'jsonl'\ndata_files = 'none*.jsonl'\n"); }),
                  "'none*.jsonl' matches no file");
}

TEST_F(DataSourcePlugins, FilesReadsByExtensionOrLoader) {
  write_file(dir, "a.jsonl", "{\"x\": \"j\"}\n");
  write_file(dir, "b.csv", "x,n\n\"c, d\",3\n");
  write_file(dir, "c.txt", "t\n");
  write_file(dir, "d.data", "x;n\nsemi;4\n");
  const Dataset rows = load(
      "spec_class = 'training_wizard.specs.dataset.SimpleDataSourceSpec'\n"
      "data_files = ['a.jsonl', 'b.csv', 'c.txt']\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.row(1).dump(), R"({"x":"c, d","n":3})");
  EXPECT_EQ(rows.row(2).dump(), R"({"text":"t"})");
  const Dataset csv = load(
      "spec_class = 'files'\ndata_files = 'd.data'\nloader = 'csv'\n"
      "load_dataset_kwargs = { sep = ';' }\n");
  EXPECT_EQ(csv.row(0).dump(), R"({"x":"semi","n":4})");
}

TEST_F(DataSourcePlugins, JsonAndCsvForceTheirFormat) {
  write_file(dir, "rows.data", "[{\"a\": 1},\n {\"a\": 2}]");
  EXPECT_EQ(load("spec_class = 'json'\ndata_files = 'rows.data'\n").size(), 2u);
  write_file(dir, "t.tsv", "a\tb\n1\t\"x\ty\"\n");
  EXPECT_EQ(load("spec_class = 'csv'\ndata_files = 't.tsv'\n").row(0)["b"], "x\ty");
  // jsonl takes neither training-wizard's loader key nor reader options.
  EXPECT_CONTAINS(
      error_of([&] {
        load("spec_class = 'jsonl'\ndata_files = 'x'\nload_dataset_kwargs = { field = 'rows' }\n");
      }),
      "unknown key 'load_dataset_kwargs'");
  EXPECT_CONTAINS(
      error_of([&] { load("spec_class = 'jsonl'\ndata_files = 'x'\nloader = 'csv'\n"); }),
      "unknown key 'loader'");
}

TEST_F(DataSourcePlugins, PreprocessingRunsInOrderAndKeysAreChecked) {
  std::string lines;
  for (int i = 0; i < 10; ++i) {
    lines += "{\"q\": \"" + std::to_string(i) + "\", \"drop\": 0}\n";
  }
  write_file(dir, "q.jsonl", lines);
  const Dataset rows = load(
      "spec_class = 'jsonl'\ndata_files = 'q.jsonl'\n"
      "[preprocessing]\nselect_columns = ['q']\nrename_columns = { q = 'prompt' }\n"
      "shuffle = { seed = 42 }\ntake = 2\n");
  // default_rng(42).permutation(10) starts with 5, 6 (NumPy).
  EXPECT_EQ(column(rows, "prompt"), (std::vector<std::string>{"\"5\"", "\"6\""}));
  EXPECT_EQ(rows.columns(), std::vector<std::string>{"prompt"});
  EXPECT_CONTAINS(
      error_of([&] {
        load("spec_class = 'jsonl'\ndata_files = 'q.jsonl'\n[preprocessing]\ntkae = 2\n");
      }),
      "unknown key 'preprocessing.tkae'; did you mean 'take'?");
}

TEST_F(DataSourcePlugins, TemplatePreferenceFillsMessagesAndKeepsColumns) {
  write_file(dir, "r.jsonl",
             "{\"input\": \"Hallo\", \"chosen\": \"Hi\", \"rejected\": \"Yo\", \"score\": 0.5}\n");
  const Dataset rows = load(
      "spec_class = 'template_preference'\n"
      "prompt_template = [{ role = 'user', content = '<in>{input}</in> {{x}} {score}' }]\n"
      "chosen_template = [{ role = 'assistant', content = '{chosen}' }]\n"
      "rejected_template = [{ role = 'assistant', content = '{rejected}!' }]\n"
      "[parent]\nspec_class = 'jsonl'\ndata_files = 'r.jsonl'\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.row(0)["prompt"],
            Row::parse(R"([{"role": "user", "content": "<in>Hallo</in> {x} 0.5"}])"));
  EXPECT_EQ(rows.row(0)["chosen"], Row::parse(R"([{"role": "assistant", "content": "Hi"}])"));
  EXPECT_EQ(rows.row(0)["rejected"], Row::parse(R"([{"role": "assistant", "content": "Yo!"}])"));
  EXPECT_EQ(rows.row(0)["input"], "Hallo");
  EXPECT_EQ(rows.where(0), path("r.jsonl") + ":1");
}

TEST_F(DataSourcePlugins, TemplatePreferenceDefaultsAndMissingColumns) {
  write_file(dir, "p.jsonl",
             "{\"prompt\": \"Q\", \"chosen\": \"A\", \"rejected\": \"B\"}\n{\"prompt\": \"Q2\", "
             "\"chosen\": \"A\"}\n");
  const auto source = registry().create_from<DataSource>(
      table("spec_class = 'template_preference'\n[parent]\nspec_class = 'jsonl'\ndata_files = "
            "'p.jsonl'\n"));
  EXPECT_CONTAINS(error_of([&] { source->load(); }),
                  path("p.jsonl") +
                      ":2: cannot fill rejected_template[0].content: the row has no column "
                      "'rejected' (columns: prompt, chosen)");
  write_file(dir, "ok.jsonl", "{\"prompt\": \"Q\", \"chosen\": \"A\", \"rejected\": \"B\"}\n");
  const Dataset rows = load(
      "spec_class = 'template_preference'\n[parent]\nspec_class = 'jsonl'\ndata_files = "
      "'ok.jsonl'\n");
  EXPECT_EQ(rows.row(0)["prompt"],
            Row::parse(R"([{"role": "system", "content": "You are a helpful assistant."},
                                                  {"role": "user", "content": "Q"}])"));
  EXPECT_EQ(rows.row(0)["rejected"], Row::parse(R"([{"role": "assistant", "content": "B"}])"));
}

TEST_F(DataSourcePlugins, MultiConcatenatesParents) {
  write_file(dir, "a.jsonl", "{\"v\": 1}\n");
  write_file(dir, "b.csv", "v\n2\n3\n");
  const Dataset rows = load(
      "spec_class = 'training_wizard.specs.dataset.MultiDataSourceSpec'\n"
      "[[parents]]\nspec_class = 'jsonl'\ndata_files = 'a.jsonl'\n"
      "[[parents]]\nspec_class = 'csv'\ndata_files = 'b.csv'\n");
  EXPECT_EQ(column(rows, "v"), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(rows.where(2), path("b.csv") + ":3");
  EXPECT_CONTAINS(error_of([&] { load("spec_class = 'multi'\n"); }), "needs 'parents'");
}

// Runs the body with the working folder set to `dir`, as a user would from there.
template <class Body>
void in_folder(const fs::path& dir, const Body& body) {
  const fs::path previous = fs::current_path();
  fs::current_path(dir);
  try {
    body();
  } catch (...) {
    fs::current_path(previous);
    throw;
  }
  fs::current_path(previous);
}

TEST(CompatExample, CpoConfigDataThroughTemplatesAndTrlPipeline) {
  const fs::path compat = test::refs_dir().parent_path().parent_path() / "compat";
  const fs::path training_wizard = compat / "training-wizard";
  ASSERT_TRUE(fs::exists(training_wizard / "examples/cpo/config.toml"));
  Dataset rows;
  Config config;
  in_folder(training_wizard, [&] {
    config = Config(core::read_config_file("examples/cpo/config.toml"));
    rows = registry().create_from<DataSource>(config.table("dataset_spec"))->load();
  });
  const Dataset source = read_jsonl(training_wizard / "examples/data/ranking.jsonl");
  ASSERT_EQ(rows.size(), source.size());
  const Config spec = config.table("dataset_spec");
  const std::string system = spec.tables("prompt_template")[0].get<std::string>("content", "");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows.row(i);
    const std::string input = source.row(i)["input"];
    EXPECT_EQ(row["prompt"],
              (Row::array(
                  {Row{{"role", "system"}, {"content", system}},
                   Row{{"role", "user"}, {"content", "<pphr_input>" + input + "</pphr_input>"}}})));
    EXPECT_EQ(row["chosen"][0]["content"],
              "<pphr_output>" + source.row(i)["chosen"].get<std::string>() + "</pphr_output>");
    EXPECT_EQ(row["rejected"][0]["role"], "assistant");
  }
  // The example's model (a stand-in in the fixture's HF cache) tokenizes every row.
  const fs::path model = hub::resolve_in_cache(
      compat / "hf_cache/hub",
      hub::parse_reference(
          config.table("transformer_spec").get<std::string>("pretrained_name", "")));
  PreferenceTokenization settings =
      PreferenceTokenization::from_config(config.table("training_args_spec"));
  const auto result = tokenize_preferences(rows, Tokenizer::from_pretrained(model),
                                           load_chat_templates(model), settings);
  EXPECT_EQ(result.pairs.size(), rows.size());
  EXPECT_TRUE(result.skipped.empty());
  for (const auto& pair : result.pairs) {
    EXPECT_GT(pair.chosen_answer_length(), 1u);
    EXPECT_EQ(pair.chosen_input_ids.back(), Tokenizer::from_pretrained(model).eos_token_id());
  }
}

TEST(SamplerPlugins, BatchesArePureAndCoverEveryExample) {
  SamplerInput input;
  input.lengths = std::vector<std::int64_t>(23, 1);
  for (std::size_t i = 0; i < input.lengths.size(); ++i)
    input.lengths[i] = static_cast<std::int64_t>((i * 7) % 11);
  input.batch_size = 4;
  input.seed = 5;
  input.epoch = 1;
  for (const char* name : {"random", "sequential", "length_grouped"}) {
    SCOPED_TRACE(name);
    const auto sampler = registry().create<Sampler>(name, Config());
    const auto batches = sampler->batches(input);
    EXPECT_EQ(batches, sampler->batches(input));
    ASSERT_EQ(batches.size(), 6u);
    EXPECT_EQ(batches.back().size(), 3u);
    std::vector<std::int64_t> all;
    for (const auto& batch : batches) all.insert(all.end(), batch.begin(), batch.end());
    std::sort(all.begin(), all.end());
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], static_cast<std::int64_t>(i));
  }
  ConfigValue drop = ConfigValue::table({{"drop_last", ConfigValue::boolean(true)}});
  EXPECT_EQ(registry().create<Sampler>("random", Config(drop))->batches(input).size(), 5u);
  auto next_epoch = input;
  next_epoch.epoch = 2;
  const auto random = registry().create<Sampler>("random", Config());
  EXPECT_NE(random->batches(input), random->batches(next_epoch));
  EXPECT_EQ(registry().create<Sampler>("sequential", Config())->batches(input)[1],
            (std::vector<std::int64_t>{4, 5, 6, 7}));
}

}  // namespace
}  // namespace wizard
