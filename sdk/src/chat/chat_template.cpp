#include "wizard/chat/chat_template.hpp"

#include <algorithm>

#include "base/utf8.hpp"
#include "chat/jinja_interpreter.hpp"
#include "chat/jinja_json.hpp"
#include "chat/jinja_lexer.hpp"
#include "chat/jinja_parser.hpp"
#include "chat/jinja_unicode.hpp"

namespace wizard {

namespace {

std::string describe_place(const std::string& template_name, std::size_t line, std::size_t column) {
  std::string place = "chat template '" + template_name + "'";
  if (line > 0) place += ", line " + std::to_string(line) + ", column " + std::to_string(column);
  return place;
}

std::string error_message(const std::string& template_name, std::size_t line, std::size_t column,
                          const std::string& reason, bool raised_by_template) {
  const std::string place = describe_place(template_name, line, column);
  if (raised_by_template) {
    return place + " rejected the conversation (raise_exception): " + reason;
  }
  return place + ": " + reason;
}

// A Fault as the user sees it: template name, line and column.
ChatTemplateError to_error(const jinja::Fault& fault, const std::string& template_name,
                           const std::string& source) {
  std::size_t line = 0;
  std::size_t column = 0;
  if (fault.has_offset()) {
    const std::string_view before =
        std::string_view(source).substr(0, std::min(fault.offset(), source.size()));
    line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
    const std::size_t last_newline = before.rfind('\n');
    const std::size_t line_start = last_newline == std::string_view::npos ? 0 : last_newline + 1;
    column = 1 + utf8::count(before.substr(line_start));
  }
  return ChatTemplateError(template_name, line, column, fault.message(),
                           fault.raised_by_template());
}

}  // namespace

ChatTemplateError::ChatTemplateError(const std::string& template_name, std::size_t line,
                                     std::size_t column, const std::string& reason,
                                     bool raised_by_template)
    : Error(error_message(template_name, line, column, reason, raised_by_template)),
      template_name_(template_name),
      line_(line),
      column_(column),
      reason_(reason),
      raised_by_template_(raised_by_template) {}

ChatTemplateError::~ChatTemplateError() = default;

ChatTemplate::ChatTemplate(std::string source, std::string name)
    : name_(std::move(name)), source_(utf8::replace_invalid(source)) {
  try {
    program_ = std::make_shared<const jinja::Program>(jinja::parse(source_));
  } catch (const jinja::Fault& fault) {
    throw to_error(fault, name_, jinja::normalize_newlines(source_));
  }
}

std::string ChatTemplate::render(const nlohmann::ordered_json& context) const {
  if (!context.is_object()) {
    throw Error(describe_place(name_, 0, 0) +
                ": the render context must be a JSON object of variables, not " +
                std::string(context.type_name()));
  }
  jinja::Dict variables;
  variables.reserve(context.size());
  try {
    for (const auto& [key, value] : context.items()) variables.set(key, jinja::from_json(value));
  } catch (const jinja::Fault& fault) {
    throw Error(describe_place(name_, 0, 0) + ": " + fault.message());
  }
  return render_variables(variables);
}

std::string ChatTemplate::render_variables(const jinja::Dict& variables) const {
  try {
    jinja::Interpreter interpreter(*program_);
    return interpreter.render(variables);
  } catch (const jinja::Fault& fault) {
    throw to_error(fault, name_, program_->source);
  }
}

}  // namespace wizard
