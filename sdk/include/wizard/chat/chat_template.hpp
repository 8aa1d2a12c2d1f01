// A Hugging Face chat template (Jinja), parsed once and rendered many times.
//
// Rendering follows what transformers does: a sandboxed Jinja environment with
// trim_blocks and lstrip_blocks, the loopcontrols extension, transformers'
// tojson / raise_exception / strftime_now, and Python's value semantics.
// docs/chat_templates.md lists what is supported.
//
//   wizard::ChatTemplate tmpl(source, "qwen3");
//   std::string text = tmpl.render({{"messages", messages}, {"add_generation_prompt", true}});
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <memory>
#include <string>

#include "wizard/base/error.hpp"
#include "wizard/base/export.hpp"

namespace wizard {

namespace jinja {
class Dict;
struct Program;
}  // namespace jinja

// A template that does not parse or fails while rendering. line/column are
// 1-based (column in characters) in the template source with its newlines
// normalised as Jinja does; 0 when the failure has no place in the template.
class WIZARD_API ChatTemplateError : public Error {
 public:
  ChatTemplateError(const std::string& template_name, std::size_t line, std::size_t column,
                    const std::string& reason, bool raised_by_template);
  ~ChatTemplateError() override;

  const std::string& template_name() const noexcept { return template_name_; }
  std::size_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }
  // The failure without the place, e.g. "no filter named 'foo'", or the
  // message the template passed to raise_exception().
  const std::string& reason() const noexcept { return reason_; }
  // The template itself refused the input with raise_exception().
  bool raised_by_template() const noexcept { return raised_by_template_; }

 private:
  std::string template_name_;
  std::size_t line_;
  std::size_t column_;
  std::string reason_;
  bool raised_by_template_;
};

class WIZARD_API ChatTemplate {
 public:
  // Parses `source`; throws ChatTemplateError for syntax errors and for tags,
  // filters or tests wizard does not support. `name` appears in messages.
  explicit ChatTemplate(std::string source, std::string name = "default");

  const std::string& name() const noexcept { return name_; }
  const std::string& source() const noexcept { return source_; }

  // Renders with the members of `context` (a JSON object) as template
  // variables. Key order is kept, which `tojson` output depends on; a
  // nlohmann::json (sorted keys) converts implicitly. Thread-safe.
  std::string render(const nlohmann::ordered_json& context) const;

 private:
  friend struct ChatTemplateAccess;
  std::string render_variables(const jinja::Dict& variables) const;

  std::string name_;
  std::string source_;
  std::shared_ptr<const jinja::Program> program_;
};

}  // namespace wizard
