// The file readers: JSON Lines, JSON documents, CSV and text, with the place
// (file:line:column) of every malformed input.
#include "data_test_util.hpp"
#include "wizard/data/files.hpp"

namespace wizard {
namespace {

using test::error_of;
using test::write_file;

class Readers : public ::testing::Test {
 protected:
  std::filesystem::path dir = test::temp_dir("data-readers");
  std::string file(const std::string& name) { return (dir / name).string(); }
};

TEST_F(Readers, JsonLinesRowsRememberTheirLines) {
  const auto path = write_file(dir, "a.jsonl", "{\"x\": 1}\n\n  \n{\"x\": 2, \"y\": \"z\"}\r\n");
  const Dataset rows = read_jsonl(path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.row(1)["y"], "z");
  EXPECT_EQ(rows.where(0), file("a.jsonl") + ":1");
  EXPECT_EQ(rows.where(1), file("a.jsonl") + ":4");
  EXPECT_EQ(rows.columns(), (std::vector<std::string>{"x", "y"}));
}

TEST_F(Readers, MalformedJsonLineNamesFileLineAndColumn) {
  // Column counts characters: the ü before the error is one column.
  const auto path = write_file(dir, "bad.jsonl", "{\"a\": 1}\n{\"ü\": 2,, }\n");
  const std::string message = error_of([&] { read_jsonl(path); });
  EXPECT_CONTAINS(message, file("bad.jsonl") + ":2:9: malformed JSON line");
  const auto not_object = write_file(dir, "list.jsonl", "[1, 2]\n");
  EXPECT_CONTAINS(error_of([&] { read_jsonl(not_object); }),
                  file("list.jsonl") + ":1:1: each line must be a JSON object");
}

TEST_F(Readers, JsonArrayRowsRememberTheLineTheyStartOn) {
  const auto path = write_file(dir, "a.json",
                               "[\n  {\"t\": \"a,\\\"]\"},\n\n  {\"t\": [1, {\"u\": 2}]\n  }\n]\n");
  const Dataset rows = read_json(path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.row(0)["t"], "a,\"]");
  EXPECT_EQ(rows.where(0), file("a.json") + ":2");
  EXPECT_EQ(rows.where(1), file("a.json") + ":4");
}

TEST_F(Readers, JsonAcceptsJsonLinesAndFields) {
  EXPECT_EQ(read_json(write_file(dir, "l.json", "{\"a\": 1}\n{\"a\": 2}\n")).size(), 2u);
  const auto records = write_file(dir, "f.json", "{\"data\": [{\"a\": 1}, {\"a\": 2}], \"v\": 1}");
  EXPECT_EQ(read_json(records, "data").row(1)["a"], 2);
  const auto columns =
      write_file(dir, "c.json", "{\"data\": {\"a\": [1, 2], \"b\": [\"x\", \"y\"]}}");
  const Dataset rows = read_json(columns, "data");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.row(1), (Row{{"a", 2}, {"b", "y"}}));
  const auto ragged = write_file(dir, "r.json", "{\"data\": {\"a\": [1, 2], \"b\": [\"x\"]}}");
  EXPECT_CONTAINS(error_of([&] { read_json(ragged, "data"); }), "'b' is not");
  EXPECT_CONTAINS(error_of([&] { read_json(records, "rows"); }), "not a JSON object with that key");
}

TEST_F(Readers, MalformedJsonPointsAtTheError) {
  const auto path = write_file(dir, "bad.json", "[\n  {\"a\": 1},\n  {\"a\" 2}\n]");
  EXPECT_CONTAINS(error_of([&] { read_json(path); }), file("bad.json") + ":3:8: malformed JSON");
  const auto one_object = write_file(dir, "one.json", "{\n  \"a\": [1, 2]\n}\n");
  EXPECT_CONTAINS(error_of([&] { read_json(one_object); }), "load_dataset_kwargs.field");
  const auto element = write_file(dir, "el.json", "[{\"a\": 1},\n 3]");
  EXPECT_CONTAINS(error_of([&] { read_json(element); }), file("el.json") + ":2: element 1");
}

TEST_F(Readers, RowsNestingDeeperThanAHundredLevelsAreRefused) {
  // Code that walks rows recursively would run out of stack on such input.
  const std::string deep = std::string(50000, '[') + std::string(50000, ']');
  const auto line = write_file(dir, "deep.jsonl", "{\"a\": 1}\n{\"chosen\": " + deep + "}\n");
  EXPECT_CONTAINS(error_of([&] { read_jsonl(line); }),
                  file("deep.jsonl") + ":2:1: the row nests JSON deeper than 100 levels");
  const auto document = write_file(dir, "deep.json", "[{\"chosen\": " + deep + "}]");
  EXPECT_CONTAINS(error_of([&] { read_json(document); }),
                  file("deep.json") + ": the row nests JSON deeper than 100 levels");
  const std::string fine = std::string(90, '[') + std::string(90, ']');
  EXPECT_EQ(read_jsonl(write_file(dir, "ok.jsonl", "{\"a\": " + fine + "}\n")).size(), 1u);
}

TEST_F(Readers, CsvQuotingAsRfc4180) {
  const auto path = write_file(dir, "a.csv",
                               "text,note\r\n"
                               "\"a, b\",\"say \"\"hi\"\"\"\r\n"
                               "\"two\nlines\",plain \"quote\n"
                               "\n"
                               "last,\n");
  const Dataset rows = read_csv(path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.row(0), (Row{{"text", "a, b"}, {"note", "say \"hi\""}}));
  EXPECT_EQ(rows.row(1), (Row{{"text", "two\nlines"}, {"note", "plain \"quote"}}));
  EXPECT_EQ(rows.row(2)["note"], nullptr);  // empty cell
  EXPECT_EQ(rows.where(0), file("a.csv") + ":2");
  EXPECT_EQ(rows.where(1), file("a.csv") + ":3");
  EXPECT_EQ(rows.where(2), file("a.csv") + ":6");  // after the quoted line break and a blank line
}

TEST_F(Readers, CsvColumnsAreTypedWhenEveryCellAgrees) {
  const auto path = write_file(dir, "t.csv",
                               "\xEF\xBB\xBFi,f,b,s,mixed,\n"
                               "1,1.5,True,x,1,a\n"
                               "-2,2,false,1,yes,b\n"
                               ",3e2,,,2.5,c\n");
  const Dataset rows = read_csv(path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.columns(), (std::vector<std::string>{"i", "f", "b", "s", "mixed", "Unnamed: 5"}));
  EXPECT_TRUE(rows.row(1)["i"].is_number_integer());
  EXPECT_EQ(rows.row(1)["i"], -2);
  EXPECT_TRUE(rows.row(1)["f"].is_number_float());
  EXPECT_EQ(rows.row(2)["f"], 300.0);
  EXPECT_EQ(rows.row(1)["b"], false);
  EXPECT_EQ(rows.row(1)["s"], "1");
  EXPECT_EQ(rows.row(0)["mixed"], "1");
  EXPECT_EQ(rows.row(2)["i"], nullptr);
}

TEST_F(Readers, CsvErrorsNamePlaces) {
  const auto unclosed = write_file(dir, "u.csv", "a,b\n1,\"open\n2,3\n");
  EXPECT_CONTAINS(error_of([&] { read_csv(unclosed); }),
                  file("u.csv") + ":2:3: this quoted field is never closed");
  const auto after = write_file(dir, "q.csv", "a,b\n\"x\"y,2\n");
  EXPECT_CONTAINS(error_of([&] { read_csv(after); }),
                  file("q.csv") + ":2:4: unexpected text after the closing quote");
  const auto wide = write_file(dir, "w.csv", "a,b\n1,2,3\n");
  EXPECT_CONTAINS(error_of([&] { read_csv(wide); }),
                  file("w.csv") + ":2:5: this row has 3 fields but the header has 2");
  const auto narrow = write_file(dir, "n.csv", "a,b\n1\n");
  EXPECT_CONTAINS(error_of([&] { read_csv(narrow); }),
                  file("n.csv") + ":2:2: this row has 1 fields");
  const auto twice = write_file(dir, "d.csv", "a,a\n1,2\n");
  EXPECT_CONTAINS(error_of([&] { read_csv(twice); }),
                  file("d.csv") + ":1:3: column 'a' appears twice");
}

TEST_F(Readers, TsvAndExplicitSeparators) {
  const auto tsv = write_file(dir, "a.tsv", "x\ty\n1,5\thello, you\n");
  const Dataset rows = read_data_file(tsv, FileFormat::Csv);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.row(0), (Row{{"x", "1,5"}, {"y", "hello, you"}}));
  FileReadOptions semicolons;
  semicolons.csv_delimiter = ';';
  const auto csv = write_file(dir, "b.csv", "x;y\n1;2\n");
  EXPECT_EQ(read_data_file(csv, FileFormat::Csv, semicolons).row(0)["y"], 2);
}

TEST_F(Readers, TextRowsAreLines) {
  const Dataset rows = read_text(write_file(dir, "a.txt", "one\r\n\ntwo"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.row(0)["text"], "one");
  EXPECT_EQ(rows.row(1)["text"], "");
  EXPECT_EQ(rows.where(2), file("a.txt") + ":3");
}

TEST_F(Readers, InvalidUtf8IsAnErrorWithItsPlace) {
  const auto path = write_file(dir, "bad.csv", "a\nok\nx\xC3(\n");
  EXPECT_CONTAINS(error_of([&] { read_csv(path); }),
                  file("bad.csv") + ":3:2: the file is not valid UTF-8");
}

TEST_F(Readers, FormatsByExtensionAsHuggingFace) {
  EXPECT_EQ(format_for_extension("a.JSONL"), FileFormat::Json);
  EXPECT_EQ(format_for_extension("a.json"), FileFormat::Json);
  EXPECT_EQ(format_for_extension("a.csv"), FileFormat::Csv);
  EXPECT_EQ(format_for_extension("a.tsv"), FileFormat::Csv);
  EXPECT_EQ(format_for_extension("a.txt"), FileFormat::Text);
  EXPECT_EQ(format_for_extension("a.parquet"), std::nullopt);
}

}  // namespace
}  // namespace wizard
