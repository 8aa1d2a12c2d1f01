// inspect: loads a dataset through its datasource and reports what it holds:
// row count, columns (with how many rows fill each), and the first rows.
//
//   spec_class = "inspect"
//   show_rows = 3
//   [dataset_spec]
//   spec_class = "jsonl"
//   data_files = "examples/data/paraphrase_preferences.jsonl"
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "wizard/base/log.hpp"
#include "wizard/plugin/datasource.hpp"
#include "wizard/plugin/export.hpp"
#include "wizard/plugin/recipe.hpp"

namespace {

// Long cell values are cut so a row fits on a screen.
std::string preview(const wizard::Row& value, std::size_t width = 70) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  for (auto& c : text) {
    if (c == '\n') c = ' ';
  }
  if (text.size() > width) text = text.substr(0, width - 3) + "...";
  return text;
}

class InspectRecipe : public wizard::Recipe {
 public:
  static constexpr const char* kSummary =
      "load a dataset and show its size, columns and first rows";

  static wizard::OptionDocs options() {
    return {
        {"dataset_spec", "table", "", "the datasource to inspect (its own spec_class and options)"},
        {"show_rows", "int", "3", "how many rows to print"},
        {"output_dir", "string", "", "if set, also write inspect.json there"}};
  }

  InspectRecipe(const wizard::Config& config, wizard::PluginHost& host)
      : show_rows_(config.get<int>("show_rows", 3)),
        output_dir_(config.get<std::string>("output_dir", "")) {
    if (show_rows_ < 0) config.fail("show_rows", "must be 0 or more");
    if (!config.has("dataset_spec")) {
      config.fail("", "missing [dataset_spec]: the datasource to inspect");
    }
    source_ = host.create_from<wizard::DataSource>(config.table("dataset_spec"));
  }

  void prepare() override { dataset_ = source_->load(); }

  std::string summary() const override {
    std::ostringstream out;
    out << "source:  " << source_->describe() << "\n"
        << "rows:    " << dataset_.size() << "\n"
        << "columns:\n";
    for (const auto& column : dataset_.columns()) {
      std::size_t filled = 0;
      std::map<std::string, std::size_t> types;
      for (std::size_t i = 0; i < dataset_.size(); ++i) {
        const auto& row = dataset_.row(i);
        const auto it = row.find(column);
        if (it == row.end() || it->is_null()) continue;
        ++filled;
        ++types[it->type_name()];
      }
      out << "  " << column << ": " << filled << "/" << dataset_.size() << " rows (";
      bool first = true;
      for (const auto& [type, count] : types) {
        out << (first ? "" : ", ") << type << " " << count;
        first = false;
      }
      out << ")\n";
    }
    return out.str();
  }

  std::filesystem::path output_dir() const override { return output_dir_; }

  int run() override {
    std::cout << summary();
    const std::size_t shown = std::min<std::size_t>(show_rows_, dataset_.size());
    for (std::size_t i = 0; i < shown; ++i) {
      std::cout << "\nrow " << i << " (" << dataset_.where(i) << ")\n";
      for (const auto& [column, value] : dataset_.row(i).items()) {
        std::cout << "  " << column << ": " << preview(value) << "\n";
      }
    }
    if (!output_dir_.empty()) write_report();
    return 0;
  }

 private:
  void write_report() const {
    nlohmann::json report;
    report["source"] = source_->describe();
    report["rows"] = dataset_.size();
    report["columns"] = dataset_.columns();
    const auto path = std::filesystem::path(output_dir_) / "inspect.json";
    std::ofstream(path) << report.dump(2) << "\n";
    wizard::logger()->info("wrote {}", path.string());
  }

  int show_rows_;
  std::string output_dir_;
  std::shared_ptr<wizard::DataSource> source_;
  wizard::Dataset dataset_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_RECIPE(InspectRecipe, inspect)
