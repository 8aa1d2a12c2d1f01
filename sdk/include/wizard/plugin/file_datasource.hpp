// A datasource that reads data files (FileSource): the built-in jsonl, json, csv and files
// datasources differ only in their format rule, and this class template is each one's whole
// implementation; a third party can build a file datasource the same way. A plugin passes a
// traits struct with its name, summary, forced format and whether it reads training-wizard's
// `loader` key.
#pragma once

#include "wizard/data/file_source.hpp"
#include "wizard/model/hub.hpp"
#include "wizard/plugin/datasource.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace wizard {

template <class Traits>
class FileDataSource : public wizard::DataSource {
 public:
  static constexpr const char* kSummary = Traits::kSummary;

  static wizard::OptionDocs options() {
    return wizard::FileSource::options(Traits::format(), Traits::kWithLoader);
  }

  FileDataSource(const wizard::Config& config, wizard::PluginHost&)
      : source_(wizard::FileSource::from_config(config, Traits::format(), Traits::kWithLoader)) {}

  wizard::Dataset load() override {
    // token_length_filter names a model folder or a hub name in the local cache.
    return source_.load([](const std::string& pretrained_name) {
      return wizard::Tokenizer::from_pretrained(wizard::hub::resolve_model(pretrained_name));
    });
  }

  std::string describe() const override { return source_.describe(Traits::kName); }

 private:
  wizard::FileSource source_;
};

}  // namespace wizard
