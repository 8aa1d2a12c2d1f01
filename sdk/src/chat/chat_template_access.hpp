// Lets apply_chat_template render from already-converted variables, without
// a round trip through one combined JSON object.
#pragma once

#include <string>

#include "chat/jinja_value.hpp"
#include "wizard/chat/chat_template.hpp"

namespace wizard {

struct ChatTemplateAccess {
  static std::string render(const ChatTemplate& chat_template, const jinja::Dict& variables) {
    return chat_template.render_variables(variables);
  }
};

}  // namespace wizard
