// jsonl: rows from JSON Lines files (training-wizard's SimpleDataSourceSpec).
//
//   [dataset_spec]
//   spec_class = "jsonl"
//   data_files = ["data/train-*.jsonl", "extra.jsonl"]   # a path, a list, or globs
#include "wizard/data/files.hpp"
#include "wizard/plugin/datasource.hpp"
#include "wizard/plugin/export.hpp"

namespace {

class JsonlDataSource : public wizard::DataSource {
 public:
  static constexpr const char* kSummary = "rows from JSON Lines files (a path, a list or globs)";

  static wizard::OptionDocs options() {
    return {{"data_files", "string|list[string]", "",
             "the .jsonl file(s): a path, a list of paths, or glob patterns"}};
  }

  JsonlDataSource(const wizard::Config& config, wizard::PluginHost&)
      : files_(wizard::resolve_data_files(config)) {}

  wizard::Dataset load() override {
    wizard::Dataset all;
    for (const auto& file : files_) all.extend(wizard::read_jsonl(file));
    return all;
  }

  std::string describe() const override {
    std::string out = "jsonl: ";
    for (std::size_t i = 0; i < files_.size() && i < 3; ++i)
      out += (i ? ", " : "") + files_[i].string();
    if (files_.size() > 3) out += ", ... (" + std::to_string(files_.size()) + " files)";
    return out;
  }

 private:
  std::vector<std::filesystem::path> files_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_DATASOURCE(JsonlDataSource, jsonl)
