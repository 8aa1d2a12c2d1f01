// json: rows from JSON files as Hugging Face's json loader reads them: an
// array of objects, JSON Lines, or (with load_dataset_kwargs.field) the rows
// under one key of a JSON object.
//
//   [dataset_spec]
//   spec_class = "json"
//   data_files = "data/train.json"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/file_datasource.hpp"

namespace {

struct Json {
  static constexpr const char* kName = "json";
  static constexpr const char* kSummary =
      "rows from JSON files: an array of objects or JSON Lines (HF's json loader)";
  static constexpr bool kWithLoader = false;
  static std::optional<wizard::FileFormat> format() { return wizard::FileFormat::Json; }
};
using JsonDataSource = wizard::FileDataSource<Json>;

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_DATASOURCE(JsonDataSource, json)
