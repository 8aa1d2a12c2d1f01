// Finding and reading data files, as training-wizard's SimpleDataSourceSpec
// does with Hugging Face datasets' loaders: `data_files` is a path, a list of
// paths, or glob patterns; files are JSON Lines, JSON, CSV or plain text.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "wizard/base/config.hpp"
#include "wizard/base/export.hpp"
#include "wizard/data/dataset.hpp"

namespace wizard {

// Resolves `data_files` (a string or a list of strings; each a path or a glob)
// from `config`. Relative paths are tried against the working folder first and
// then against the config file's folder. Every entry must match at least one
// file: an entry that matches none is a ConfigError saying where it looked.
// Results keep the given order; each glob's matches are sorted.
WIZARD_API std::vector<std::filesystem::path> resolve_data_files(
    const Config& config, const std::string& key = "data_files");

enum class FileFormat {
  JsonLines,  // one JSON object per non-blank line
  Json,       // HF's json loader: JSON Lines, or one document holding an array of objects
  Csv,        // RFC 4180 with a header row
  Text,       // one row {"text": line} per line
};

// "jsonl", "json", "csv", "text".
WIZARD_API const char* format_name(FileFormat format);

// The format Hugging Face datasets picks for a file extension: .jsonl and
// .json read as Json (which accepts both layouts), .csv and .tsv as Csv,
// .txt as Text. nullopt for other extensions.
WIZARD_API std::optional<FileFormat> format_for_extension(const std::filesystem::path& file);

struct FileReadOptions {
  // The CSV field separator; .tsv files use '\t' unless a separator is given.
  std::optional<char> csv_delimiter;
  // For Json: the key of the document's top-level object that holds the rows
  // (an array of objects, or an object of equally long column arrays).
  std::string json_field;
};

// Every reader returns rows that remember their file and line; malformed input
// is a wizard::Error naming the file, line and column and saying what to fix.

// JSON Lines: one JSON object per non-blank line.
WIZARD_API Dataset read_jsonl(const std::filesystem::path& path);

// HF's json loader: an array of objects (`[{...}, {...}]`), or JSON Lines;
// with `field`, the rows are read from that key of one JSON object.
WIZARD_API Dataset read_json(const std::filesystem::path& path, const std::string& field = "");

// CSV (RFC 4180: quoted fields, "" for a quote, line breaks inside quotes) with
// a header row. Blank lines are skipped. Each column takes the type pandas would
// infer when every non-empty cell agrees: integers, then floats, then booleans
// (True/False/TRUE/FALSE/true/false); otherwise the cells stay strings. Empty
// cells are null. A row with more or fewer fields than the header is an error.
WIZARD_API Dataset read_csv(const std::filesystem::path& path, char delimiter = ',');

// Plain text: one row {"text": line} per line (blank lines included, line
// breaks removed), as HF's text loader.
WIZARD_API Dataset read_text(const std::filesystem::path& path);

// Reads `path` in `format`.
WIZARD_API Dataset read_data_file(const std::filesystem::path& path, FileFormat format,
                                  const FileReadOptions& options = {});

}  // namespace wizard
