// apply_chat_template: the variables transformers passes, its argument checks,
// and continue_final_message's cut. Expected texts follow transformers'
// v4.51 apply_chat_template (render, then keep up to the final message).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "wizard/chat/apply_chat_template.hpp"

namespace wizard {
namespace {

using Json = nlohmann::ordered_json;

const ChatTemplate kBracketed("{% for m in messages %}[{{ m.content }}]{% endfor %}<eot>",
                              "bracketed");
const ChatTemplate kTrimmed("{% for m in messages %}[{{ m.content | trim }}]{% endfor %}<eot>",
                            "trimmed");

Json conversation(const Json& final_content) {
  return Json::array(
      {{{"role", "user"}, {"content", "x"}}, {{"role", "assistant"}, {"content", final_content}}});
}

std::string continued(const ChatTemplate& chat_template, const Json& messages) {
  ChatOptions options;
  options.continue_final_message = true;
  return apply_chat_template(chat_template, messages, options);
}

TEST(ApplyChatTemplate, PassesMessagesToolsDocumentsAndGenerationFlag) {
  const ChatTemplate probe(
      "{{ messages|length }}|{{ tools is none }}|{{ tools is defined }}|{{ documents is none }}|"
      "{{ add_generation_prompt }}|{{ enable_thinking }}|{{ bos_token }}");
  ChatOptions options;
  options.add_generation_prompt = true;
  options.template_kwargs = {{"enable_thinking", false}};
  EXPECT_EQ(apply_chat_template(probe, conversation("y"), options, {{"bos_token", "<s>"}}),
            "2|True|True|True|True|False|<s>");
}

TEST(ApplyChatTemplate, TemplateKwargsOverrideSpecialTokens) {
  const ChatTemplate probe("{{ bos_token }}{{ eos_token }}");
  ChatOptions options;
  options.template_kwargs = {{"bos_token", "<B>"}};
  EXPECT_EQ(apply_chat_template(probe, Json::array(), options,
                                {{"bos_token", "<s>"}, {"eos_token", "</s>"}}),
            "<B></s>");
}

TEST(ApplyChatTemplate, ToolsKeepTheirKeyOrderInTojson) {
  const ChatTemplate probe("{% for t in tools %}{{ t | tojson }}{% endfor %}");
  ChatOptions options;
  options.tools =
      Json::parse(R"([{"type": "function", "function": {"name": "f", "b": 1, "a": 2}}])");
  EXPECT_EQ(apply_chat_template(probe, Json::array(), options),
            R"({"type": "function", "function": {"name": "f", "b": 1, "a": 2}})");
}

TEST(ApplyChatTemplate, ContinueFinalMessageCutsAfterTheFinalContent) {
  EXPECT_EQ(continued(kBracketed, conversation("abc  ")),
            "[x][abc  ");  // kept trailing spaces stay
  EXPECT_EQ(continued(kBracketed, conversation("  abc")), "[x][  abc");
  EXPECT_EQ(continued(kTrimmed, conversation(" abc \n")), "[x][abc");  // the template trimmed it
  EXPECT_EQ(continued(kBracketed, Json::array({{{"role", "user"}, {"content", "abc"}},
                                               {{"role", "assistant"}, {"content", "abc"}}})),
            "[abc][abc");  // the last occurrence
}

TEST(ApplyChatTemplate, ContinueFinalMessageFindsContentWithInvalidUtf8) {
  // The template sees U+FFFD for the invalid byte (base/utf8.hpp); the cut looks for the same.
  EXPECT_EQ(continued(kBracketed, conversation("ab\xFF  ")), "[x][ab\uFFFD  ");
}

TEST(ApplyChatTemplate, ContinueFinalMessageUsesTheLastTextBlock) {
  const ChatTemplate blocks(
      "{% for m in messages %}{% for b in m.content %}{% if b.text is defined %}<{{ b.text }}>{% "
      "endif %}"
      "{% endfor %}{% endfor %}!");
  const Json messages = Json::parse(R"([
    {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image"}]},
    {"role": "assistant", "content": [{"type": "text", "text": "one"}, {"type": "image"},
                                      {"type": "text", "text": "two "}, {"type": "image"}]}])");
  EXPECT_EQ(continued(blocks, messages), "<hi><one><two ");
}

TEST(ApplyChatTemplate, ContinueFinalMessageFailsWhenTheTemplateDropsTheMessage) {
  const ChatTemplate drops_last("{% for m in messages[:-1] %}[{{ m.content }}]{% endfor %}");
  try {
    continued(drops_last, conversation("never shown"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not appear in the chat"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(continued(kBracketed, Json::array()), Error);
  EXPECT_THROW(continued(kBracketed, conversation(nullptr)), Error);
  EXPECT_THROW(continued(kBracketed, conversation(Json::array({{{"type", "image"}}}))), Error);
}

TEST(ApplyChatTemplate, RejectsWhatTransformersRejects) {
  ChatOptions both;
  both.continue_final_message = true;
  both.add_generation_prompt = true;
  EXPECT_THROW(apply_chat_template(kBracketed, conversation("y"), both), Error);

  ChatOptions bad_tools;
  bad_tools.tools = Json::array({"not a schema"});
  EXPECT_THROW(apply_chat_template(kBracketed, conversation("y"), bad_tools), Error);

  ChatOptions bad_documents;
  bad_documents.documents = Json::object();
  EXPECT_THROW(apply_chat_template(kBracketed, conversation("y"), bad_documents), Error);

  ChatOptions reserved;
  reserved.template_kwargs = {{"messages", Json::array()}};
  EXPECT_THROW(apply_chat_template(kBracketed, conversation("y"), reserved), Error);

  EXPECT_THROW(apply_chat_template(kBracketed, Json::object()), Error);
}

TEST(ApplyChatTemplate, TemplateErrorsKeepTheirType) {
  const ChatTemplate strict("{{ raise_exception('Only user and assistant roles are supported!') }}",
                            "strict");
  try {
    apply_chat_template(strict, conversation("y"));
    FAIL() << "expected raise_exception";
  } catch (const ChatTemplateError& e) {
    EXPECT_TRUE(e.raised_by_template());
    EXPECT_EQ(e.reason(), "Only user and assistant roles are supported!");
    EXPECT_EQ(e.template_name(), "strict");
  }
}

TEST(ApplyChatTemplate, OneTemplateRendersFromManyThreads) {
  const ChatTemplate shared(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
      "{{ loop.index }}:{{ m.content }};{% endfor %}{{ ns.n }}");
  std::vector<std::string> results(8);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      Json messages = Json::array();
      for (std::size_t i = 0; i <= t; ++i)
        messages.push_back({{"role", "user"}, {"content", std::to_string(t)}});
      for (int repeat = 0; repeat < 200; ++repeat)
        results[t] = apply_chat_template(shared, messages);
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t t = 0; t < results.size(); ++t) {
    std::string expected;
    for (std::size_t i = 0; i <= t; ++i)
      expected += std::to_string(i + 1) + ":" + std::to_string(t) + ";";
    EXPECT_EQ(results[t], expected + std::to_string(t + 1));
  }
}

}  // namespace
}  // namespace wizard
