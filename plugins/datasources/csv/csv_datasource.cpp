// csv: rows from CSV files with a header row (RFC 4180 quoting); numbers and
// booleans are typed per column as pandas infers them.
//
//   [dataset_spec]
//   spec_class = "csv"
//   data_files = "data/train.tsv"
//   load_dataset_kwargs = { sep = "\t" }   # .tsv files use tabs without it too
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/file_datasource.hpp"

namespace {

struct Csv {
  static constexpr const char* kName = "csv";
  static constexpr const char* kSummary = "rows from CSV files with a header row";
  static constexpr bool kWithLoader = false;
  static std::optional<wizard::FileFormat> format() { return wizard::FileFormat::Csv; }
};
using CsvDataSource = wizard::FileDataSource<Csv>;

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_DATASOURCE(CsvDataSource, csv)
