#include "arabic_qwen_schema.hpp"

#include <algorithm>

#include "arabic_qwen_keys.hpp"
#include "cpo_settings.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/model/config.hpp"
#include "wizard/model/hub.hpp"

namespace wizard::cpo {

namespace {

using arabic_qwen::Action;
using arabic_qwen::SchemaKey;

// training-wizard's top-level keys: a config uses one schema or the other.
bool is_training_wizard_key(const std::string& key) {
  for (const auto& option : cpo_recipe_options()) {
    if (option.name == key) return true;
  }
  return false;
}

void check_top_level(const Config& root, SchemaTranslation& out) {
  std::vector<std::string> valid = arabic_qwen::section_names();
  valid.insert(valid.end(), {"spec_class", "recipe_class", "plugin_paths"});
  for (const auto& key : root.keys()) {
    if (is_training_wizard_key(key) && std::find(valid.begin(), valid.end(), key) == valid.end()) {
      out.problem(root.location(key).str() + ": '" + key +
                  "' belongs to the training-wizard schema, but this config is written in the "
                  "arabic-qwen one (model, training, data, cpo, ...); use one schema per file");
      valid.push_back(key);  // reported; not again as unknown
    }
  }
  SchemaSection(root, out).check_keys(valid);
}

// Every translated training_args_spec key must be one this build's recipe and loss read:
// several negatives, the reference model and the new loss options arrive with issue 10.
// A key the recipe lacks is refused naming the feature (from the table), unless its value
// is what the recipe does without it (then it is dropped).
void check_recipe_has_keys(SchemaTranslation& out, PluginHost& host) {
  OptionDocs accepted;
  try {
    accepted = training_args_options(Config(out.tree()), host);
  } catch (const ConfigError& error) {
    out.problem(error.what());  // an unknown loss_type
    return;
  }
  const ConfigValue* loss = out.find("training_args_spec.loss_type");
  const std::string loss_name = loss ? loss->as_string() : "sigmoid";
  const std::string prefix = "training_args_spec.";
  for (const auto& target : out.targets()) {
    if (target.rfind(prefix, 0) != 0) continue;
    const std::string key = target.substr(prefix.size());
    const bool known = std::any_of(accepted.begin(), accepted.end(),
                                   [&](const OptionDoc& option) { return option.name == key; });
    if (known) continue;
    const SourceValue value{*out.find(target), *out.source_of(target)};
    const SchemaKey* row = arabic_qwen::key_of(value.from);
    if (row && row->recipe_default && arabic_qwen::same_value(value.value, *row->recipe_default)) {
      out.erase(target);  // the recipe does without it exactly as with it
    } else if (row && row->action == Action::LossOption) {
      out.problem(value, "needs the loss option '" + key + "' (issue 10), which the loss '" +
                             loss_name +
                             "' (cpo.loss_type) does not have in this build; remove the key "
                             "(`wizard help " +
                             loss_name + "` lists its options)");
    } else if (row && !row->feature.empty()) {
      out.problem(value, "needs " + row->feature +
                             " (issue 10), which this build's cpo recipe does not have yet (" +
                             target + "); " + row->instead);
    } else {
      out.problem(value, "the cpo recipe has no key " + target +
                             " in this build; remove the key (`wizard help cpo` lists its keys)");
    }
  }
}

// The model must be one wizard runs: found (a folder, or in the local HF cache) and of an
// architecture wizard implements. Checked here so that the remote-code model of the
// document's examples is listed with the rest.
void check_model(SchemaTranslation& out) {
  const std::string target = "transformer_spec.pretrained_name";
  const SourceValue name{*out.find(target), *out.source_of(target)};
  try {
    const std::filesystem::path dir = hub::resolve_model(name.value.as_string());
    model::ModelConfig::from_file(dir / "config.json");
  } catch (const Error& error) {
    out.problem(name, error.what());
  }
}

}  // namespace

bool is_arabic_qwen_config(const Config& root) {
  for (const auto& name : arabic_qwen::section_names()) {
    if (root.has(name)) return true;
  }
  return false;
}

OptionDocs arabic_qwen_sections() {
  const char* help = "arabic-qwen schema (docs/config.md): instead of the keys above";
  OptionDocs out;
  for (const auto& name : arabic_qwen::section_names()) out.push_back({name, "table", "", help});
  return out;
}

namespace arabic_qwen {

Translated translate_sections(const Config& root) {
  SchemaTranslation out(root.location().file);
  check_top_level(root, out);
  ConfigValue loss_defaults = translate_keys(root, out);
  return {std::move(out), std::move(loss_defaults)};
}

}  // namespace arabic_qwen

CpoConfigView translate_arabic_qwen(const Config& root, PluginHost& host) {
  arabic_qwen::Translated translated = arabic_qwen::translate_sections(root);
  SchemaTranslation& out = translated.out;
  check_model(out);
  check_recipe_has_keys(out, host);
  const std::string& file = out.file();
  out.throw_problems((file.empty() ? std::string("the config") : file) +
                     " (arabic-qwen CPOConfig schema)");
  for (const auto& note : out.notes()) logger()->info("{}", note);
  return {Config(out.tree()), std::move(translated.loss_defaults)};
}

CpoConfigView cpo_config_view(const Config& root, PluginHost& host) {
  if (is_arabic_qwen_config(root)) return translate_arabic_qwen(root, host);
  return {root, ConfigValue::table()};
}

}  // namespace wizard::cpo
