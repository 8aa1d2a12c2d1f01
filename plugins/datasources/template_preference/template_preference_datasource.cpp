// template_preference: training-wizard's TemplatePreferenceDatasourceSpec.
// Each row of the parent datasource becomes a conversational preference row
// (TRL's format): prompt, chosen and rejected are message lists whose
// "{column}" placeholders are filled from the row (Python str.format; "{{" and
// "}}" are literal braces). The parent's other columns are kept.
//
//   [dataset_spec]
//   spec_class = "template_preference"
//   prompt_template = [{ role = "system", content = "Paraphrase." },
//                      { role = "user", content = "<in>{input}</in>" }]
//   chosen_template = [{ role = "assistant", content = "<out>{chosen}</out>" }]
//   rejected_template = [{ role = "assistant", content = "<out>{rejected}</out>" }]
//   [dataset_spec.parent]
//   spec_class = "files"
//   data_files = "data/ranking.jsonl"
#include "wizard/base/log.hpp"
#include "wizard/data/message_template.hpp"
#include "wizard/plugin/datasource.hpp"
#include "wizard/plugin/export.hpp"

namespace {

wizard::Row message(const char* role, const char* content) {
  return wizard::Row{{"role", role}, {"content", content}};
}

class TemplatePreferenceDataSource : public wizard::DataSource {
 public:
  static constexpr const char* kSummary =
      "preference rows (prompt/chosen/rejected messages) from templates filled with a parent's "
      "rows";

  static wizard::OptionDocs options() {
    return {
        {"parent", "table", "", "the datasource whose rows fill the templates"},
        {"prompt_template", "list[table]",
         "[{role=\"system\", content=\"You are a helpful assistant.\"}, {role=\"user\", "
         "content=\"{prompt}\"}]",
         "the prompt's messages; {column} is replaced by the row's value"},
        {"chosen_template", "list[table]", "[{role=\"assistant\", content=\"{chosen}\"}]",
         "the chosen answer's messages"},
        {"rejected_template", "list[table]", "[{role=\"assistant\", content=\"{rejected}\"}]",
         "the rejected answer's messages"},
    };
  }

  TemplatePreferenceDataSource(const wizard::Config& config, wizard::PluginHost& host)
      : prompt_(wizard::MessageTemplate::from_config(
            config, "prompt_template",
            wizard::Row::array(
                {message("system", "You are a helpful assistant."), message("user", "{prompt}")}))),
        chosen_(wizard::MessageTemplate::from_config(
            config, "chosen_template", wizard::Row::array({message("assistant", "{chosen}")}))),
        rejected_(wizard::MessageTemplate::from_config(
            config, "rejected_template",
            wizard::Row::array({message("assistant", "{rejected}")}))) {
    if (!config.has("parent")) {
      config.fail("", "missing [" + config.key_path("parent") +
                          "]: the datasource whose rows fill the templates");
    }
    parent_ = host.create_from<wizard::DataSource>(config.table("parent"));
  }

  wizard::Dataset load() override {
    const wizard::Dataset rows = parent_->load();
    wizard::Dataset out;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::string where = rows.where(i);
      wizard::Row row = rows.row(i);
      // Filled from the parent's row before any of its columns is replaced.
      wizard::Row prompt = prompt_.fill(rows.row(i), where);
      wizard::Row chosen = chosen_.fill(rows.row(i), where);
      wizard::Row rejected = rejected_.fill(rows.row(i), where);
      row["prompt"] = std::move(prompt);
      row["chosen"] = std::move(chosen);
      row["rejected"] = std::move(rejected);
      out.append(std::move(row), rows.origin(i));
    }
    wizard::logger()->info("template_preference: {} rows", out.size());
    return out;
  }

  std::string describe() const override {
    return "template_preference over " + parent_->describe();
  }

 private:
  wizard::MessageTemplate prompt_;
  wizard::MessageTemplate chosen_;
  wizard::MessageTemplate rejected_;
  std::shared_ptr<wizard::DataSource> parent_;
};

}  // namespace

WIZARD_PLUGIN_LIBRARY(WIZARD_PLUGIN_LIBRARY_NAME, WIZARD_PLUGIN_LIBRARY_VERSION)
WIZARD_EXPORT_DATASOURCE(TemplatePreferenceDataSource, template_preference)
