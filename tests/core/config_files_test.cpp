// Config files: TOML, JSON and YAML give the same tree; syntax errors point at
// file:line:column; --set overrides are typed; the resolved TOML reads back.
#include <gtest/gtest.h>

#include <fstream>

#include "config_files.hpp"
#include "test_support.hpp"
#include "wizard/base/error.hpp"

using wizard::ConfigError;
using wizard::ConfigValue;
using wizard::UsageError;
using namespace wizard::core;

namespace {

const char* kToml = R"(spec_class = "cpo"
validation = 5

[training_args_spec]
beta = 0.1
loss_type = "simpo"
bf16 = true
steps = [1, 2, 3]

[[templates]]
role = "user"
)";

const char* kJson = R"({
  "spec_class": "cpo",
  "validation": 5,
  "training_args_spec": {"beta": 0.1, "loss_type": "simpo", "bf16": true, "steps": [1, 2, 3]},
  "templates": [{"role": "user"}]
})";

const char* kYaml = R"(spec_class: cpo
validation: 5
training_args_spec:
  beta: 0.1
  loss_type: "simpo"
  bf16: true
  steps: [1, 2, 3]
templates:
  - role: user
)";

void expect_same_schema(const ConfigValue& root) {
  EXPECT_EQ(root.find("spec_class")->as_string(), "cpo");
  EXPECT_EQ(root.find("validation")->as_integer(), 5);
  const ConfigValue& args = *root.find("training_args_spec");
  EXPECT_DOUBLE_EQ(args.find("beta")->as_float(), 0.1);
  EXPECT_TRUE(args.find("beta")->is(ConfigValue::Kind::Float));
  EXPECT_EQ(args.find("loss_type")->as_string(), "simpo");
  EXPECT_TRUE(args.find("bf16")->as_bool());
  ASSERT_EQ(args.find("steps")->as_array().size(), 3u);
  EXPECT_EQ(args.find("steps")->as_array()[2].as_integer(), 3);
  EXPECT_EQ(root.find("templates")->as_array()[0].find("role")->as_string(), "user");
}

using wizard::test::config_error_of;

}  // namespace

TEST(ConfigFiles, AllThreeFormatsGiveTheSameTree) {
  expect_same_schema(read_toml(kToml, "a.toml"));
  expect_same_schema(read_json(kJson, "a.json"));
  expect_same_schema(read_yaml(kYaml, "a.yaml"));
}

TEST(ConfigFiles, ValuesRememberTheirLine) {
  EXPECT_EQ(
      read_toml(kToml, "a.toml").find("training_args_spec")->find("loss_type")->location().line, 6);
  EXPECT_EQ(read_json(kJson, "a.json").find("training_args_spec")->find("beta")->location().line,
            4);
  EXPECT_EQ(read_yaml(kYaml, "a.yaml").find("training_args_spec")->find("bf16")->location().line,
            6);
}

TEST(ConfigFiles, SyntaxErrorsNameFileLineAndColumn) {
  EXPECT_NE(config_error_of([] { read_toml("a = 1\nb = = 2\n", "bad.toml"); }).find("bad.toml:2:"),
            std::string::npos);
  const std::string json =
      config_error_of([] { read_json("{\n  \"a\": 1,\n  \"b\" 2\n}", "bad.json"); });
  EXPECT_NE(json.find("bad.json:3:"), std::string::npos) << json;
  EXPECT_NE(json.find("expected ':'"), std::string::npos) << json;
  const std::string yaml = config_error_of([] { read_yaml("a: 1\nb: [1, 2\n", "bad.yaml"); });
  EXPECT_NE(yaml.find("bad.yaml:"), std::string::npos) << yaml;
  EXPECT_NE(
      config_error_of([] { read_json("{\"a\": 1, \"a\": 2}", "dup.json"); }).find("appears twice"),
      std::string::npos);
}

TEST(ConfigFiles, HostileDocumentsAreRefusedInWords) {
  // Nesting the JSON scanner would recurse into until the stack ran out.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string nested = config_error_of([&] { read_json(deep, "deep.json"); });
  EXPECT_NE(nested.find("deep.json:1:129: JSON syntax error: the document nests deeper than 128"),
            std::string::npos)
      << nested;
  // Integers beyond int64 do not wrap around.
  const std::string big =
      config_error_of([] { read_json("{\"n\": 18446744073709551615}", "b.json"); });
  EXPECT_NE(big.find("b.json:1:7: the integer 18446744073709551615 is out of range"),
            std::string::npos)
      << big;
  // A bad escape is reported without the JSON library's prefix.
  const std::string escape = config_error_of([] { read_json("{\"s\": \"\\u12\"}", "e.json"); });
  EXPECT_NE(escape.find("e.json:1:"), std::string::npos) << escape;
  EXPECT_EQ(escape.find("json.exception"), std::string::npos) << escape;
  // Several YAML documents are refused, not read as the first.
  const std::string documents = config_error_of([] { read_yaml("a: 1\n---\nb: 2\n", "two.yaml"); });
  EXPECT_NE(documents.find("two.yaml:2:1: the file holds more than one YAML document"),
            std::string::npos)
      << documents;
}

TEST(ConfigFiles, TomlKeepsTheFilesKeyOrder) {
  // Message tables are rendered by chat templates, whose tojson keeps key order.
  const ConfigValue root = read_toml(
      "zeta = 1\nalpha = 2\nmessages = [{ role = \"user\", content = \"hi\" }]\n[table]\nb = 1\na "
      "= 2\n",
      "order.toml");
  std::vector<std::string> keys;
  for (const auto& entry : root.as_table()) keys.push_back(entry.first);
  EXPECT_EQ(keys, (std::vector<std::string>{"zeta", "alpha", "messages", "table"}));
  const auto& message = root.find("messages")->as_array()[0].as_table();
  EXPECT_EQ(message[0].first, "role");
  EXPECT_EQ(message[1].first, "content");
  EXPECT_EQ(root.find("table")->as_table()[0].first, "b");
}

TEST(ConfigFiles, YamlQuotedScalarsStayStrings) {
  const ConfigValue root = read_yaml("a: \"5\"\nb: 5\nc: 1e-6\nd: ~\ne: yes\n", "t.yaml");
  EXPECT_TRUE(root.find("a")->is(ConfigValue::Kind::String));
  EXPECT_TRUE(root.find("b")->is(ConfigValue::Kind::Integer));
  EXPECT_DOUBLE_EQ(root.find("c")->as_float(), 1e-6);
  EXPECT_TRUE(root.find("d")->is(ConfigValue::Kind::Null));
  EXPECT_EQ(root.find("e")->as_string(), "yes");  // YAML 1.2: only true/false are bools
}

TEST(ConfigFiles, MissingFileAndUnknownExtension) {
  EXPECT_NE(config_error_of([] { read_config_file("/nonexistent/x.toml"); }).find("no such file"),
            std::string::npos);
  const auto dir = wizard::test::temp_dir("ext");
  std::ofstream(dir / "c.ini") << "a=1\n";
  EXPECT_NE(config_error_of([&] {
              read_config_file(dir / "c.ini");
            }).find("unknown config format '.ini'"),
            std::string::npos);
}

TEST(ConfigOverrides, AreTypedAndCreateTables) {
  ConfigValue root = read_toml(kToml, "a.toml");
  apply_overrides(root,
                  {"training_args_spec.beta=0.5", "training_args_spec.bf16=false", "validation=0.1",
                   "training_args_spec.output_dir=/tmp/run one", "training_args_spec.steps=[4, 5]",
                   "new_table.key=\"quoted\"", "training_args_spec.max_steps=7"});
  const ConfigValue& args = *root.find("training_args_spec");
  EXPECT_DOUBLE_EQ(args.find("beta")->as_float(), 0.5);
  EXPECT_FALSE(args.find("bf16")->as_bool());
  EXPECT_TRUE(root.find("validation")->is(ConfigValue::Kind::Float));
  EXPECT_EQ(args.find("output_dir")->as_string(), "/tmp/run one");
  EXPECT_EQ(args.find("steps")->as_array()[1].as_integer(), 5);
  EXPECT_EQ(args.find("max_steps")->as_integer(), 7);
  EXPECT_EQ(root.find("new_table")->find("key")->as_string(), "quoted");
  EXPECT_EQ(args.find("beta")->location().file, "--set training_args_spec.beta=0.5");
}

TEST(ConfigOverrides, MalformedOverridesAreUsageErrors) {
  ConfigValue root = read_toml(kToml, "a.toml");
  EXPECT_THROW(apply_overrides(root, {"no_equals_sign"}), UsageError);
  EXPECT_THROW(apply_overrides(root, {"=5"}), UsageError);
  EXPECT_THROW(apply_overrides(root, {"validation.x=1"}), UsageError);  // validation is an integer
  EXPECT_THROW(apply_overrides(root, {"a..b=1"}), UsageError);
  // Found by fuzz_config: a key path with invalid UTF-8 ended up in the resolved TOML.
  EXPECT_THROW(apply_overrides(root, {"training_args_spec.bet\xD0\xD0"
                                      "a=0.2"}),
               UsageError);
  EXPECT_THROW(apply_overrides(root, {"training_args_spec.beta=\xFF"}), UsageError);
}

TEST(ConfigFiles, ResolvedTomlReadsBack) {
  ConfigValue root = read_toml(kToml, "a.toml");
  const ConfigValue again = read_toml(write_toml(root), "resolved.toml");
  expect_same_schema(again);
}

// Found by fuzz_config: toml++ 3.3 writes a key holding a single quote bare (`[optim'zation]`),
// so a run folder's resolved_config.toml did not read back. Every kind of key and value must.
TEST(ConfigFiles, ResolvedTomlReadsBackWithAnyKey) {
  const char* yaml = R"(optim'zation:
  use_lora: true
"a \"quoted\" key": 1
"tab\there": 2.5
dotted.key: [1, "two", {inner'key: 3}]
"ünïcode": [{name: first}, {name: second, "x y": [true]}]
empty: {}
)";
  const ConfigValue root = read_yaml(yaml, "fuzzed.yaml");
  const std::string written = write_toml(root);
  ConfigValue again;
  ASSERT_NO_THROW(again = read_toml(written, "resolved_config.toml")) << written;
  EXPECT_TRUE(again.find("optim'zation")->find("use_lora")->as_bool()) << written;
  EXPECT_EQ(again.find("a \"quoted\" key")->as_integer(), 1);
  EXPECT_DOUBLE_EQ(again.find("tab\there")->as_float(), 2.5);
  const auto& mixed = again.find("dotted.key")->as_array();
  ASSERT_EQ(mixed.size(), 3u);
  EXPECT_EQ(mixed[1].as_string(), "two");
  EXPECT_EQ(mixed[2].find("inner'key")->as_integer(), 3);
  const auto& tables = again.find("ünïcode")->as_array();
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[1].find("name")->as_string(), "second");
  EXPECT_TRUE(tables[1].find("x y")->as_array()[0].as_bool());
  EXPECT_TRUE(again.find("empty")->as_table().empty());
}

// Found by fuzz_config: yaml-cpp reads invalid UTF-8 into keys and strings, which no TOML file
// can hold, so the resolved config did not read back. Refused at read with the place.
TEST(ConfigFiles, YamlThatIsNotUtf8IsRefusedWithItsPlace) {
  const std::string message =
      config_error_of([] { (void)read_yaml("data:\n  train_\xE0\xE0: x\n", "cfg.yaml"); });
  EXPECT_NE(message.find("cfg.yaml:2:9: the file is not valid UTF-8 here"), std::string::npos)
      << message;
}

// Found by fuzz_config: yaml-cpp 0.7 makes empty documents without end (allocating until memory
// runs out) at a stray comma after a top-level value: JSON without its braces, a flow mapping
// followed by a comma. Refused at the comma; valid quoted keys still read.
TEST(ConfigFiles, YamlTextAfterTheDocumentIsRefusedWithItsPlace) {
  const std::pair<const char*, const char*> cases[] = {
      {"\"x\",\n\"a\": 1\n", "j.yaml:1:4:"},
      {"# c\n'it''s', y\n", "j.yaml:2:8:"},
      {"\"a\\\"b\" ,", "j.yaml:1:8:"},
      {"{a: 1},", "j.yaml:1:7:"},
      {"# c{\n \"a\"\"b c:p\",\n \"v\": {\n  \"p\": \"r", "j.yaml:2:5:"},
  };
  for (const auto& [text, place] : cases) {
    const std::string message = config_error_of([&] { (void)read_yaml(text, "j.yaml"); });
    EXPECT_NE(message.find(std::string(place) + " YAML syntax error: text after the end of the "
                                                "document"),
              std::string::npos)
        << text << "\n"
        << message;
  }
  EXPECT_EQ(read_yaml("\"a, b\": 1\n'c': [1, 2]\n", "ok.yaml").find("a, b")->as_integer(), 1);
}

// Found by fuzz_config: a NUL in a key reached the resolved TOML as text that is not UTF-8.
TEST(ConfigFiles, YamlControlCharactersAreRefused) {
  const std::string nul =
      config_error_of([] { (void)read_yaml(std::string("a: 1\nb_\0c: 2\n", 11), "nul.yaml"); });
  EXPECT_NE(nul.find("nul.yaml:2:3: YAML files cannot hold the control character 0"),
            std::string::npos)
      << nul;
}
