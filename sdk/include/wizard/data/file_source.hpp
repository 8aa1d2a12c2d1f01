// What the file datasources (jsonl, json, csv, files) share: the files, their
// format, reader options and the preprocessing steps, read from a config table
// as training-wizard's SimpleDataSourceSpec has them:
//
//   data_files = ["data/*.jsonl"]          # a path, a list, or globs
//   loader = "csv"                         # files only: json | csv | text (default: by extension)
//   load_dataset_kwargs = { sep = "\t" }   # sep/delimiter (csv), field (json)
//   [preprocessing] ...                    # see preprocessing.hpp
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "wizard/base/config.hpp"
#include "wizard/base/export.hpp"
#include "wizard/data/files.hpp"
#include "wizard/data/preprocessing.hpp"

namespace wizard {

struct WIZARD_API FileSource {
  std::vector<std::filesystem::path> files;
  std::optional<FileFormat> format;  // unset: each file's extension decides (json when unknown)
  FileReadOptions read_options;
  Preprocessing preprocessing;

  // The options of a file datasource reading `forced` (any format when unset);
  // `with_loader` adds training-wizard's `loader`.
  static OptionDocs options(std::optional<FileFormat> forced, bool with_loader);
  // Reads a datasource table; `forced` fixes the format (jsonl, json, csv plugins).
  static FileSource from_config(const Config& table, std::optional<FileFormat> forced,
                                bool with_loader);

  // Every file's rows in order, then the preprocessing.
  Dataset load(const TokenizerLoader& load_tokenizer) const;
  // "<name>: a.jsonl, b.jsonl (2 files)".
  std::string describe(const std::string& name) const;
};

}  // namespace wizard
