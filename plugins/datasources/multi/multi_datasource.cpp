// multi: training-wizard's MultiDataSourceSpec: the rows of several
// datasources, one after another.
//
//   [dataset_spec]
//   spec_class = "multi"
//   [[dataset_spec.parents]]
//   spec_class = "jsonl"
//   data_files = "a.jsonl"
//   [[dataset_spec.parents]]
//   spec_class = "csv"
//   data_files = "b.csv"
#include "wizard/plugin/datasource.hpp"
#include "wizard/plugin/export.hpp"

namespace {

class MultiDataSource : public wizard::DataSource {
 public:
  static constexpr const char* kSummary = "the rows of several datasources, concatenated";

  static wizard::OptionDocs options() {
    return {{"parents", "list[table]", "", "the datasources to concatenate, in order"}};
  }

  MultiDataSource(const wizard::Config& config, wizard::PluginHost& host) {
    const auto tables = config.tables("parents");
    if (tables.empty()) {
      config.fail(
          config.has("parents") ? "parents" : "",
          "needs 'parents': a list of datasource tables ([[" + config.key_path("parents") + "]])");
    }
    for (const auto& table : tables)
      parents_.push_back(host.create_from<wizard::DataSource>(table));
  }

  wizard::Dataset load() override {
    wizard::Dataset all;
    for (const auto& parent : parents_) all.extend(parent->load());
    return all;
  }

  std::string describe() const override {
    std::string out = "multi: ";
    for (std::size_t i = 0; i < parents_.size(); ++i) {
      out += (i ? " + " : "") + ("(" + parents_[i]->describe() + ")");
    }
    return out;
  }

 private:
  std::vector<std::shared_ptr<wizard::DataSource>> parents_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_DATASOURCE(MultiDataSource, multi)
