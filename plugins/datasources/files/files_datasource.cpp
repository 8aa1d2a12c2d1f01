// files: training-wizard's SimpleDataSourceSpec. Each file is read by its
// extension as Hugging Face's load_dataset would (.jsonl/.json: json, .csv/.tsv:
// csv, .txt: text), or by `loader` ("json", "csv", "text") when given.
//
//   [dataset_spec]
//   spec_class = "training_wizard.specs.dataset.SimpleDataSourceSpec"   # or "files"
//   data_files = "examples/data/ranking.jsonl"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/file_datasource.hpp"

namespace {

struct Files {
  static constexpr const char* kName = "files";
  static constexpr const char* kSummary =
      "rows from data files read by extension or `loader` (training-wizard's SimpleDataSourceSpec)";
  static constexpr bool kWithLoader = true;
  static std::optional<wizard::FileFormat> format() { return std::nullopt; }
};
using FilesDataSource = wizard::FileDataSource<Files>;

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_DATASOURCE(FilesDataSource, files)
