// Every case of chat_cases.json (transformers' apply_chat_template with
// tokenize=False) renders to exactly the stored text, or fails where
// transformers failed. Cases are discovered from the file; the set folder
// comes from WIZARD_REFS.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

#include "test_support.hpp"
#include "wizard/chat/template_loader.hpp"

namespace wizard {
namespace {

using Json = nlohmann::ordered_json;

// Key order matters (tojson keeps it), so the fixture is read as ordered_json.
Json read_ordered(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path.string());
  return Json::parse(in);
}

struct Fixture {
  Json file;
  std::map<std::string, ModelChatTemplates> templates;  // by the case's "template"
};

const Fixture& fixture() {
  static const Fixture loaded = [] {
    Fixture f;
    f.file = read_ordered(test::refs_dir() / "chat_cases.json");
    for (const auto& [name, info] : f.file.at("templates").items()) {
      const auto config = test::refs_path(info.at("tokenizer_config").get<std::string>());
      f.templates.emplace(name, load_chat_templates(config.parent_path()));
    }
    return f;
  }();
  return loaded;
}

// transformers' apply_chat_template arguments: `add_generation_prompt`,
// `continue_final_message`, `tools` and `documents` are its own; every other
// kwarg reaches the template as a variable (the file's notes say so).
ChatOptions options_for(const Json& test_case) {
  ChatOptions options;
  const Json kwargs = test_case.value("kwargs", Json::object());
  for (const auto& [key, value] : kwargs.items()) {
    if (key == "add_generation_prompt") {
      options.add_generation_prompt = value.get<bool>();
    } else if (key == "continue_final_message") {
      options.continue_final_message = value.get<bool>();
    } else if (key == "tools") {
      options.tools = value;
    } else if (key == "documents") {
      options.documents = value;
    } else {
      options.template_kwargs[key] = value;
    }
  }
  if (test_case.contains("tools") && !test_case["tools"].is_null())
    options.tools = test_case["tools"];
  if (test_case.contains("documents") && !test_case["documents"].is_null())
    options.documents = test_case["documents"];
  return options;
}

// A recorded Python error: "TemplateError: text", plain "text", or
// {"type": ..., "message": ...}. `type` is empty when the record has none.
struct RecordedError {
  std::string type;
  std::string message;
};

RecordedError recorded_error(const Json& error) {
  if (error.is_object()) return {error.value("type", ""), error.value("message", error.dump())};
  const std::string text = error.is_string() ? error.get<std::string>() : error.dump();
  const std::size_t colon = text.find(": ");
  const std::string head = text.substr(0, colon == std::string::npos ? 0 : colon);
  const auto ends_with = [&](const std::string& suffix) {
    return head.size() > suffix.size() &&
           head.compare(head.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  const bool typed = head.find_first_of(" .'\"") == std::string::npos &&
                     (ends_with("Error") || ends_with("Exception"));
  if (!typed) return {"", text};
  return {head, text.substr(colon + 2)};
}

// Failures recorded so far in the running test (each EXPECT that fails adds one).
int failure_count() {
  return ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
}

TEST(ChatGolden, SpecialTokensMatchTransformers) {
  for (const auto& [name, info] : fixture().file.at("templates").items()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(fixture().templates.at(name).special_tokens,
              info.at("template_kwargs_from_special_tokens"));
    EXPECT_FALSE(fixture().templates.at(name).builtin);
  }
}

TEST(ChatGolden, EveryCaseRendersAsTransformers) {
  const Json& cases = fixture().file.at("cases");
  ASSERT_FALSE(cases.empty());
  std::size_t passed = 0;
  for (const Json& test_case : cases) {
    const std::string id = test_case.at("id").get<std::string>();
    SCOPED_TRACE(id);
    const ModelChatTemplates& model =
        fixture().templates.at(test_case.at("template").get<std::string>());
    const ChatOptions options = options_for(test_case);
    const Json& messages = test_case.at("messages");
    const int failures_before = failure_count();
    if (test_case.contains("error")) {
      // transformers failed: so must wizard. raise_exception() messages must match.
      const RecordedError expected = recorded_error(test_case["error"]);
      try {
        const std::string text = model.apply(messages, options);
        ADD_FAILURE() << "transformers failed with " << test_case["error"].dump()
                      << " but wizard rendered:\n"
                      << text;
      } catch (const ChatTemplateError& e) {
        if (e.raised_by_template()) {
          EXPECT_EQ(e.reason(), expected.message);
          if (!expected.type.empty()) {
            EXPECT_EQ(expected.type, "TemplateError") << e.what();
          }
        } else {
          EXPECT_NE(expected.type, "TemplateError") << e.what();
        }
      } catch (const Error& e) {
        EXPECT_NE(expected.type, "TemplateError") << e.what();
      }
    } else {
      try {
        EXPECT_EQ(model.apply(messages, options), test_case.at("rendered").get<std::string>());
      } catch (const std::exception& e) {
        ADD_FAILURE() << "threw: " << e.what();
      }
    }
    if (failure_count() == failures_before) ++passed;
  }
  std::cout << "[ golden   ] " << passed << " of " << cases.size()
            << " chat cases match transformers\n";
}

}  // namespace
}  // namespace wizard
