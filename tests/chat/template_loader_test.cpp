// load_chat_templates: where transformers finds a model's templates and
// special tokens, which template it picks, and the ChatML fallback.
#include <gtest/gtest.h>

#include <fstream>

#include "test_support.hpp"
#include "wizard/chat/template_loader.hpp"

namespace wizard {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

fs::path model_with_config(const std::string& name, const Json& config) {
  const fs::path dir = test::temp_dir(name);
  write(dir / "tokenizer_config.json", config.dump());
  return dir;
}

const Json kUser = Json::array({{{"role", "user"}, {"content", "hi"}}});

TEST(TemplateLoader, ReadsOneTemplateAndTheSpecialTokens) {
  const fs::path dir = model_with_config(
      "chat-one",
      {
          {"bos_token", {{"__type", "AddedToken"}, {"content", "<s>"}, {"lstrip", false}}},
          {"unk_token", nullptr},
          {"eos_token", "</s>"},
          {"pad_token", ""},
          {"additional_special_tokens", {"<a>", {{"content", "<b>"}}}},
          {"chat_template",
           "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}"},
      });
  const ModelChatTemplates model = load_chat_templates(dir);
  ASSERT_EQ(model.templates.size(), 1u);
  EXPECT_EQ(model.templates[0].name(), "default");
  EXPECT_FALSE(model.builtin);
  // transformers' order; unset (null) and empty tokens are left out.
  EXPECT_EQ(model.special_tokens.dump(),
            R"({"bos_token":"<s>","eos_token":"</s>","additional_special_tokens":["<a>","<b>"]})");
  EXPECT_EQ(model.apply(kUser), "<s>hi</s>");
}

TEST(TemplateLoader, DefaultTemplateKwargsApplyUnlessTheCallSetsThem) {
  // training-wizard's apply_chat_template_kwargs: every rendering gets them.
  const fs::path dir = model_with_config(
      "chat-kwargs", {{"chat_template",
                       "{% if enable_thinking is defined and not enable_thinking %}/no_think "
                       "{% endif %}{{ messages[0].content }}"}});
  ModelChatTemplates model = load_chat_templates(dir);
  EXPECT_EQ(model.apply(kUser), "hi");
  model.default_template_kwargs = {{"enable_thinking", false}};
  EXPECT_EQ(model.apply(kUser), "/no_think hi");
  ChatOptions options;
  options.template_kwargs = {{"enable_thinking", true}};
  EXPECT_EQ(model.apply(kUser, options), "hi");
}

TEST(TemplateLoader, NamedTemplatesAndTransformersChoice) {
  const fs::path dir = model_with_config(
      "chat-named", {
                        {"chat_template", Json::array({{{"name", "default"}, {"template", "D"}},
                                                       {{"name", "tool_use"}, {"template", "T"}},
                                                       {{"name", "rag"}, {"template", "R"}}})},
                    });
  const ModelChatTemplates model = load_chat_templates(dir);
  ASSERT_EQ(model.templates.size(), 3u);
  EXPECT_EQ(model.select().source(), "D");
  EXPECT_EQ(model.select("", /*with_tools=*/true).source(), "T");
  EXPECT_EQ(model.select("rag").source(), "R");
  ChatOptions with_tools;
  with_tools.tools = Json::array();
  EXPECT_EQ(model.apply(kUser, with_tools), "T");
  try {
    model.select("rga");
    FAIL() << "expected an unknown-name error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'rag'"), std::string::npos) << e.what();
  }
}

TEST(TemplateLoader, SeveralTemplatesWithoutDefaultNeedAName) {
  const fs::path dir = model_with_config(
      "chat-nodefault", {
                            {"chat_template", Json::array({{{"name", "a"}, {"template", "A"}},
                                                           {{"name", "b"}, {"template", "B"}}})},
                        });
  const ModelChatTemplates model = load_chat_templates(dir);
  EXPECT_THROW(model.select(), Error);
  EXPECT_EQ(model.select("b").source(), "B");
}

TEST(TemplateLoader, ChatTemplateFileReplacesTheConfigsTemplates) {
  const fs::path dir =
      model_with_config("chat-jinja", {{"chat_template", "from config"}, {"eos_token", "</s>"}});
  write(dir / "chat_template.jinja", "from file {{ eos_token }}\n");
  write(dir / "additional_chat_templates" / "rag.jinja", "rag file");
  const ModelChatTemplates model = load_chat_templates(dir);
  ASSERT_EQ(model.templates.size(), 2u);
  EXPECT_EQ(model.apply(kUser), "from file </s>");
  EXPECT_EQ(model.apply(kUser, {}, "rag"), "rag file");
}

TEST(TemplateLoader, SpecialTokensMapFileTakesPrecedence) {
  const fs::path dir = model_with_config(
      "chat-stm", {{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"chat_template", "x"}});
  write(dir / "special_tokens_map.json",
        R"({"eos_token": {"content": "<|end|>"}, "pad_token": "<pad>"})");
  EXPECT_EQ(load_chat_templates(dir).special_tokens.dump(),
            R"({"bos_token":"<s>","eos_token":"<|end|>","pad_token":"<pad>"})");
}

TEST(TemplateLoader, ModelsWithoutATemplateGetChatML) {
  const fs::path dir = model_with_config("chat-none", {{"eos_token", "</s>"}});
  const ModelChatTemplates model = load_chat_templates(dir);
  EXPECT_TRUE(model.builtin);
  ChatOptions options;
  options.add_generation_prompt = true;
  const Json messages =
      Json::array({{{"role", "system"}, {"content", "S"}}, {{"role", "user"}, {"content", "hi"}}});
  EXPECT_EQ(
      model.apply(messages, options),
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(load_chat_templates(test::temp_dir("chat-empty")).templates.front().name(), "chatml");
}

TEST(TemplateLoader, ReportsBadFolders) {
  EXPECT_THROW(load_chat_templates(test::temp_dir("chat-missing") / "nope"), Error);
  const fs::path broken = test::temp_dir("chat-broken");
  write(broken / "tokenizer_config.json", "{ not json");
  try {
    load_chat_templates(broken);
    FAIL() << "expected a JSON error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer_config.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_chat_templates(model_with_config("chat-badtype", {{"chat_template", 3}})),
               Error);
  EXPECT_THROW(load_chat_templates(
                   model_with_config("chat-badlist", {{"chat_template", Json::array({"x"})}})),
               Error);
  try {
    load_chat_templates(model_with_config("chat-badsyntax", {{"chat_template", "{% if %}"}}));
    FAIL() << "expected a template syntax error";
  } catch (const ChatTemplateError& e) {
    EXPECT_EQ(e.template_name(), "default");
    EXPECT_EQ(e.line(), 1u);
  }
}

}  // namespace
}  // namespace wizard
