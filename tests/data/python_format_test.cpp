// Python's str.format(**row) and str() for template filling; the expected
// strings are what CPython 3 prints.
#include "wizard/data/python_format.hpp"
#include "data_test_util.hpp"
#include "wizard/data/message_template.hpp"

namespace wizard {
namespace {

using test::error_of;

TEST(PythonFormat, FillsNamedFieldsAndBraceEscapes) {
  const Row row{{"input", "Hallo"}, {"n", 3}, {"my col", "x"}};
  EXPECT_EQ(python_format("<in>{input}</in> n={n} {{literal}} {my col}}}", row),
            "<in>Hallo</in> n=3 {literal} x}");
  EXPECT_EQ(python_format("{input!r} {input!s} {n:}", row), "'Hallo' Hallo 3");
  EXPECT_EQ(python_format("no fields", row), "no fields");
}

TEST(PythonFormat, ValuesPrintAsPythonStrDoes) {
  EXPECT_EQ(python_str(Row(1.0)), "1.0");
  EXPECT_EQ(python_str(Row(0.1)), "0.1");
  EXPECT_EQ(python_str(Row(1e-5)), "1e-05");
  EXPECT_EQ(python_str(Row(0.0001)), "0.0001");
  EXPECT_EQ(python_str(Row(1e16)), "1e+16");
  EXPECT_EQ(python_str(Row(123456789012345.6)), "123456789012345.6");
  EXPECT_EQ(python_str(Row(-2.5e-7)), "-2.5e-07");
  EXPECT_EQ(python_str(Row(true)), "True");
  EXPECT_EQ(python_str(Row(nullptr)), "None");
  EXPECT_EQ(python_str(Row(-7)), "-7");
  EXPECT_EQ(python_str(Row::parse(R"([1, "a", null, {"k": "it's"}])")),
            R"([1, 'a', None, {'k': "it's"}])");
  EXPECT_EQ(python_repr(Row("tab\there\\ 'q' \"d\"\n")), R"('tab\there\\ \'q\' "d"\n')");
  // repr escapes what str.isprintable() rejects (CPython 3.11 printed these).
  EXPECT_EQ(python_str(Row::parse(R"(["a\u00a0b", "\u200b", "\u00e9", "\u0085"])")),
            "['a\\xa0b', '\\u200b', '\u00e9', '\\x85']");
}

TEST(PythonFormat, MissingColumnNamesItAndTheColumnsThereAre) {
  const Row row{{"input", "x"}, {"chosen", "y"}};
  try {
    python_format("{inptu}", row);
    FAIL() << "no error";
  } catch (const TemplateFillError& error) {
    EXPECT_EQ(error.missing_column(), "inptu");
    EXPECT_CONTAINS(error.what(), "no column 'inptu' (columns: input, chosen)");
  }
}

TEST(PythonFormat, UnsupportedAndMalformedFieldsSaySo) {
  const Row row{{"a", "x"}};
  EXPECT_CONTAINS(error_of([&] { python_format("{}", row); }), "positional fields");
  EXPECT_CONTAINS(error_of([&] { python_format("{0}", row); }), "positional fields");
  EXPECT_CONTAINS(error_of([&] { python_format("{a:>5}", row); }), "format specifications");
  EXPECT_CONTAINS(error_of([&] { python_format("{a[0]}", row); }), "index lookups");
  EXPECT_CONTAINS(error_of([&] { python_format("{a!x}", row); }), "!s or !r");
  EXPECT_CONTAINS(error_of([&] { python_format("a } b", row); }), "single '}' at character 3");
  EXPECT_CONTAINS(error_of([&] { python_format("x {a", row); }),
                  "'{' at character 3 is not closed");
}

Config config_with(const std::string& key, ConfigValue value) {
  ConfigValue root = ConfigValue::table();
  value.set_location({"t.toml", 4, 1});
  root.set(key, std::move(value));
  return Config(std::move(root));
}

ConfigValue message_value(const std::string& role, const std::string& content) {
  return ConfigValue::table({{"role", ConfigValue::string(role)},
                             {"content", ConfigValue::string(content)},
                             {"name", ConfigValue::string("kept")}});
}

TEST(MessageTemplate, FillsContentsAndKeepsOtherKeys) {
  const Config config = config_with(
      "prompt_template", ConfigValue::array({message_value("system", "Be {{brief}}."),
                                             message_value("user", "<in>{input}</in>")}));
  const auto prompt = MessageTemplate::from_config(config, "prompt_template", Row::array());
  const Row filled = prompt.fill(Row{{"input", "Hallo"}}, "data.jsonl:3");
  EXPECT_EQ(filled, Row::parse(R"([{"role": "system", "content": "Be {brief}.", "name": "kept"},
                                   {"role": "user", "content": "<in>Hallo</in>", "name": "kept"}])"));
}

TEST(MessageTemplate, MissingColumnNamesRowTemplateAndColumn) {
  const Config config =
      config_with("chosen_template", ConfigValue::array({message_value("assistant", "{chosen}")}));
  const auto chosen = MessageTemplate::from_config(config, "chosen_template", Row::array());
  EXPECT_CONTAINS(error_of([&] {
                    chosen.fill(Row{{"answer", "x"}}, "data.jsonl:7");
                  }),
                  "data.jsonl:7: cannot fill chosen_template[0].content: the row has no column "
                  "'chosen' (columns: answer)");
}

TEST(MessageTemplate, DefaultIsUsedAndRecorded) {
  const Config config = config_with("other", ConfigValue::integer(1));
  const Row fallback = Row::parse(R"([{"role": "user", "content": "{prompt}"}])");
  const auto prompt = MessageTemplate::from_config(config, "prompt_template", fallback);
  EXPECT_EQ(prompt.messages(), fallback);
  const ConfigValue* recorded = config.resolved().find("prompt_template");
  ASSERT_NE(recorded, nullptr);
  EXPECT_EQ(recorded->as_array()[0].find("content")->as_string(), "{prompt}");
}

TEST(MessageTemplate, MalformedMessagesAreConfigErrors) {
  const Config no_role = config_with(
      "prompt_template",
      ConfigValue::array({ConfigValue::table({{"content", ConfigValue::string("x")}})}));
  EXPECT_CONTAINS(
      error_of([&] { MessageTemplate::from_config(no_role, "prompt_template", Row()); }),
      "t.toml:4:1: prompt_template: the message at index 0 needs a string 'role'");
  const Config empty = config_with("prompt_template", ConfigValue::array());
  EXPECT_CONTAINS(error_of([&] { MessageTemplate::from_config(empty, "prompt_template", Row()); }),
                  "non-empty list of messages");
}

}  // namespace
}  // namespace wizard
