// A datasource: produces rows (JSON objects) from files or from a parent datasource.
#pragma once

#include <string>

#include "wizard/data/dataset.hpp"
#include "wizard/plugin/plugin.hpp"

namespace wizard {

class WIZARD_API DataSource : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::DataSource;
  ~DataSource() override;

  // Reads every row. Malformed input is a wizard::Error naming file and line.
  virtual Dataset load() = 0;
  // One line saying what this source reads ("jsonl: data/a.jsonl (1 file)").
  virtual std::string describe() const = 0;
};

}  // namespace wizard
