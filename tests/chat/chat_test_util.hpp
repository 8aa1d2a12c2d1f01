// Helpers for the chat template tests: a sample context and table-driven
// comparisons of rendered text. The expected strings in the tables were
// produced by Python Jinja2 3.1 configured as transformers configures it
// (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
// transformers' tojson), rendering the same template with sample_context().
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "wizard/chat/chat_template.hpp"

namespace wizard::chat_test {

struct RenderCase {
  const char* source;
  const char* expected;
};

inline nlohmann::ordered_json sample_context() {
  return nlohmann::ordered_json::parse(R"({
    "d": {"a": 1, "b": [1, 2]}, "s": "Hello World", "l": [3, 1, 2],
    "m": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
    "n": null, "t": true, "f": 1.5, "u": "h\u00e9llo w\u00f6rld", "e": ""})");
}

inline std::string render(const std::string& source,
                          const nlohmann::ordered_json& context = sample_context()) {
  return ChatTemplate(source, "test").render(context);
}

inline void expect_renders(const std::vector<RenderCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.source);
    try {
      EXPECT_EQ(render(c.source), c.expected);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw: " << e.what();
    }
  }
}

// The error a template raises, or "" when it renders.
inline std::string render_error(const std::string& source,
                                const nlohmann::ordered_json& context = sample_context()) {
  try {
    render(source, context);
  } catch (const ChatTemplateError& e) {
    return e.what();
  }
  return "";
}

}  // namespace wizard::chat_test
