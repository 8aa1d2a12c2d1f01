#include "wizard/data/file_source.hpp"

#include "wizard/base/log.hpp"

namespace wizard {

namespace {

std::optional<FileFormat> loader_format(const Config& table) {
  if (!table.has("loader")) return std::nullopt;
  const std::string loader = table.require<std::string>("loader");
  if (loader == "json") return FileFormat::Json;
  if (loader == "csv") return FileFormat::Csv;
  if (loader == "text") return FileFormat::Text;
  table.fail("loader", "must be \"json\", \"csv\" or \"text\", not \"" + loader + "\"");
}

FileReadOptions read_options_from(const Config& kwargs, std::optional<FileFormat> format) {
  FileReadOptions options;
  for (const char* key : {"sep", "delimiter"}) {
    if (!kwargs.has(key)) continue;
    const std::string separator = kwargs.require<std::string>(key);
    if (separator.size() != 1) kwargs.fail(key, "must be one character, e.g. \",\" or \"\\t\"");
    if (format && *format != FileFormat::Csv) kwargs.fail(key, "only applies to csv files");
    options.csv_delimiter = separator[0];
  }
  options.json_field = kwargs.optional<std::string>("field").value_or("");
  return options;
}

}  // namespace

OptionDocs FileSource::options(std::optional<FileFormat> forced, bool with_loader) {
  OptionDocs docs{{"data_files", "string|list[string]", "",
                   "the data file(s): a path, a list of paths, or glob patterns"}};
  if (with_loader) {
    docs.push_back({"loader", "string", "",
                    "json, csv or text; default: by extension (.jsonl/.json: json, .csv/.tsv: "
                    "csv, .txt: text, other: json)"});
  }
  const bool csv = !forced || *forced == FileFormat::Csv;
  const bool json = !forced || *forced == FileFormat::Json;
  if (csv) {
    docs.push_back(
        {"load_dataset_kwargs.sep", "string", ",", "csv: the field separator (\\t for .tsv)"});
    docs.push_back(
        {"load_dataset_kwargs.delimiter", "string", ",", "csv: the field separator (as sep)"});
  }
  if (json) {
    docs.push_back({"load_dataset_kwargs.field", "string", "",
                    "json: the key of the document's object that holds the rows"});
  }
  const OptionDocs preprocessing = Preprocessing::options();
  docs.insert(docs.end(), preprocessing.begin(), preprocessing.end());
  return docs;
}

FileSource FileSource::from_config(const Config& table, std::optional<FileFormat> forced,
                                   bool with_loader) {
  FileSource source;
  source.format = with_loader ? loader_format(table) : forced;
  source.files = resolve_data_files(table);
  source.read_options = read_options_from(table.table("load_dataset_kwargs"), source.format);
  source.preprocessing = Preprocessing::from_config(table.table("preprocessing"));
  return source;
}

Dataset FileSource::load(const TokenizerLoader& load_tokenizer) const {
  Dataset all;
  for (const auto& file : files) {
    // training-wizard's default loader is json, so unknown extensions read as json.
    const FileFormat file_format =
        format.value_or(format_for_extension(file).value_or(FileFormat::Json));
    all.extend(read_data_file(file, file_format, read_options));
  }
  logger()->info("read {} rows from {} file(s)", all.size(), files.size());
  return preprocessing.apply(all, load_tokenizer);
}

std::string FileSource::describe(const std::string& name) const {
  std::string out = name + ": ";
  for (std::size_t i = 0; i < files.size() && i < 3; ++i)
    out += (i ? ", " : "") + files[i].string();
  if (files.size() > 3) out += ", ...";
  return out + " (" + std::to_string(files.size()) + (files.size() == 1 ? " file)" : " files)");
}

}  // namespace wizard
