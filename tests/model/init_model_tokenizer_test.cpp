// The tokenizer init-model writes, read by wizard's tokenizer and chat-template loaders:
// every byte is its own token, the special tokens are atomic, the template is ChatML.
#include <gtest/gtest.h>

#include "model_test_support.hpp"
#include "wizard/chat/template_loader.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace wizard::test {
namespace {

TEST(InitModelTokenizer, BytesAreTokensAndSpecialTokensAreAtomic) {
  const auto folder = init_model_folder(model::InitModelOptions{});
  const Tokenizer tokenizer = Tokenizer::from_pretrained(folder);
  EXPECT_EQ(tokenizer.vocab_size(), static_cast<std::size_t>(model::init_model_tokenizer_size()));
  const std::string text = "Hi \xc3\xa9\n";  // "Hi é\n": é is two bytes
  EXPECT_EQ(tokenizer.encode(text, false), (std::vector<int32_t>{'H', 'i', ' ', 0xc3, 0xa9, '\n'}));
  EXPECT_EQ(tokenizer.encode("<|im_start|>user", false),
            (std::vector<int32_t>{257, 'u', 's', 'e', 'r'}));
  EXPECT_EQ(tokenizer.decode(tokenizer.encode(text, false), false), text);
  EXPECT_EQ(tokenizer.eos_token(), "<|im_end|>");
  EXPECT_EQ(tokenizer.pad_token_id(), 256);
}

TEST(InitModelTokenizer, ChatTemplateIsChatML) {
  const auto templates = load_chat_templates(init_model_folder(model::InitModelOptions{}));
  EXPECT_FALSE(templates.builtin);
  ChatOptions options;
  options.add_generation_prompt = true;
  const nlohmann::ordered_json messages = nlohmann::ordered_json::array(
      {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Hi"}}});
  EXPECT_EQ(templates.apply(messages, options),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n");
}

}  // namespace
}  // namespace wizard::test
