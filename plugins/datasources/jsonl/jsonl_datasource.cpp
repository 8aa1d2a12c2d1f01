// jsonl: rows from JSON Lines files, one object per line.
//
//   [dataset_spec]
//   spec_class = "jsonl"
//   data_files = ["data/train-*.jsonl", "extra.jsonl"]   # a path, a list, or globs
//   [dataset_spec.preprocessing]                         # optional, see docs/data.md
//   take = 1000
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/file_datasource.hpp"

namespace {

struct Jsonl {
  static constexpr const char* kName = "jsonl";
  static constexpr const char* kSummary = "rows from JSON Lines files (a path, a list or globs)";
  static constexpr bool kWithLoader = false;
  static std::optional<wizard::FileFormat> format() { return wizard::FileFormat::JsonLines; }
};
using JsonlDataSource = wizard::FileDataSource<Jsonl>;

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_DATASOURCE(JsonlDataSource, jsonl)
