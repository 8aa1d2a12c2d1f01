#include "plugin_aliases.hpp"

#include <map>

namespace wizard::core {

std::optional<std::string> training_wizard_alias(const std::string& name) {
  static const std::map<std::string, std::string> aliases{
      {"training_wizard.recipes.cpo.CPOTrainingSpec", "cpo"},
      {"training_wizard.specs.dataset.TemplatePreferenceDatasourceSpec", "template_preference"},
      {"training_wizard.specs.dataset.SimpleDataSourceSpec", "files"},
      {"training_wizard.specs.dataset.MultiDataSourceSpec", "multi"},
  };
  const auto it = aliases.find(name);
  if (it == aliases.end()) return std::nullopt;
  return it->second;
}

}  // namespace wizard::core
