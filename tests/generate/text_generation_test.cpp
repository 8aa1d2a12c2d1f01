// The text layer of generation (wizard/generation): prompts rendered and encoded as training
// prepares them, streamed text that never splits a character, stop strings, and the
// [generation] table.
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "wizard/base/error.hpp"
#include "wizard/chat/template_loader.hpp"
#include "wizard/generation/generation_options.hpp"
#include "wizard/generation/prompt.hpp"
#include "wizard/generation/text_generation.hpp"
#include "wizard/generation/text_stream.hpp"
#include "wizard/model/init_model.hpp"

namespace wizard::test {
namespace {

using generation::TextStream;

// init-model's folder: a byte-level tokenizer (ids 0-255 are the bytes) with ChatML.
const std::filesystem::path& model_dir() {
  static const std::filesystem::path dir = [] {
    const auto folder = temp_dir("text-generation") / "m";
    auto options = model::InitModelOptions::preset("tiny");
    options.initializer_range = 0.5;
    options.seed = 11;
    model::init_model(folder, options);
    return folder;
  }();
  return dir;
}

TEST(TextStream, HoldsBackAnIncompleteCharacter) {
  TextStream stream(Tokenizer::from_pretrained(model_dir()), {});
  EXPECT_EQ(stream.add('a'), "a");
  EXPECT_EQ(stream.add(0xC3), "");  // the first byte of "é"
  EXPECT_EQ(stream.add(0xA9), "\xC3\xA9");
  EXPECT_EQ(stream.text(), "a\xC3\xA9");
  EXPECT_FALSE(stream.stopped());
}

TEST(TextStream, StopsWhenAStopStringAppearsAcrossTokens) {
  TextStream stream(Tokenizer::from_pretrained(model_dir()), {"END", "##"});
  for (const char c : std::string("the E")) stream.add(c);
  EXPECT_FALSE(stream.stopped());
  stream.add('N');
  EXPECT_FALSE(stream.stopped());
  stream.add('D');
  EXPECT_TRUE(stream.stopped());
  EXPECT_EQ(stream.text(), "the END");
}

TEST(TextStream, MatchesSpecialTokensButDoesNotShowThem) {
  const Tokenizer tokenizer = Tokenizer::from_pretrained(model_dir());
  TextStream stream(tokenizer, {"<|im_end|>"});
  stream.add('o');
  stream.add('k');
  EXPECT_EQ(stream.add(*tokenizer.token_to_id("<|im_end|>")), "");
  EXPECT_TRUE(stream.stopped());
  EXPECT_EQ(stream.text(), "ok");
}

TEST(Prompt, StringsPassAndConversationsGetTheChatTemplate) {
  const ModelChatTemplates templates = load_chat_templates(model_dir());
  EXPECT_EQ(generation::prompt_text("plain text", templates), "plain text");
  const Row user = Row::parse(R"([{"role": "user", "content": "hi"}])");
  EXPECT_EQ(generation::prompt_text(user, templates),
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  const Row continued =
      Row::parse(R"([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "he"}])");
  EXPECT_EQ(generation::prompt_text(continued, templates),
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhe");
  EXPECT_THROW(
      generation::prompt_text(Row::parse(R"([{"role": "system", "content": "x"}])"), templates),
      Error);
  EXPECT_THROW(generation::prompt_text(Row::parse("42"), templates), Error);
}

TEST(Prompt, IdsAreTheTextAfterBosAsTrainingHasThem) {
  // init-model's tokenizer has BOS <|endoftext|> (from config.json), as TRL's tokenize_row
  // puts first; the text itself is encoded without special tokens.
  const Tokenizer tokenizer = Tokenizer::from_pretrained(model_dir());
  const int32_t bos = *tokenizer.bos_token_id();
  EXPECT_EQ(generation::prompt_ids("ab", tokenizer), (std::vector<int32_t>{bos, 'a', 'b'}));
  const std::string starts_with_bos = *tokenizer.bos_token() + "ab";
  EXPECT_EQ(generation::prompt_ids(starts_with_bos, tokenizer),
            (std::vector<int32_t>{bos, 'a', 'b'}));
}

Config table_of(const std::string& text_key, ConfigValue value) {
  ConfigValue::Table entries;
  entries.emplace_back(text_key, std::move(value));
  ConfigValue root = ConfigValue::table(
      {{"generation", ConfigValue::table(std::move(entries), {"test.toml", 3, 1})}},
      {"test.toml", 1, 1});
  return Config(std::move(root)).table("generation");
}

TEST(GenerationOptions, TheTableSetsTransformersFields) {
  model::GenerationConfig config;
  generation::apply_generation_table(table_of("temperature", ConfigValue::floating(0.5)), config);
  EXPECT_DOUBLE_EQ(config.temperature, 0.5);
  generation::apply_generation_table(table_of("eos_token_id", ConfigValue::integer(7)), config);
  EXPECT_EQ(config.eos_token_ids, std::vector<int64_t>{7});
  generation::apply_generation_table(
      table_of("eos_token_id",
               ConfigValue::array({ConfigValue::integer(1), ConfigValue::integer(2)})),
      config);
  EXPECT_EQ(config.eos_token_ids, (std::vector<int64_t>{1, 2}));
  generation::apply_generation_table(table_of("stop_strings", ConfigValue::string("##")), config);
  EXPECT_EQ(config.stop_strings, std::vector<std::string>{"##"});
  generation::apply_generation_table(table_of("seed", ConfigValue::integer(9)), config);
  EXPECT_EQ(config.seed, 9u);
}

TEST(GenerationOptions, UnknownKeysAndBadValuesAreConfigErrors) {
  model::GenerationConfig config;
  const std::string unknown = config_error_of([&] {
    generation::apply_generation_table(table_of("temprature", ConfigValue::floating(0.5)), config);
  });
  EXPECT_NE(unknown.find("temperature"), std::string::npos) << unknown;
  config.do_sample = true;
  const std::string bad = config_error_of([&] {
    generation::apply_generation_table(table_of("top_p", ConfigValue::floating(0.0)), config);
  });
  EXPECT_NE(bad.find("top_p"), std::string::npos) << bad;
  EXPECT_NE(bad.find("test.toml"), std::string::npos) << bad;
}

TEST(GenerateText, StopStringsEndTheAnswerAndTheStreamAddsUpToIt) {
  const model::CausalLM model = model::CausalLM::from_pretrained(model_dir());
  const Tokenizer tokenizer = Tokenizer::from_pretrained(model_dir());
  model::GenerationConfig config;
  config.max_new_tokens = 24;
  const auto free = generation::generate_text(model, tokenizer, {"hello"}, config);
  ASSERT_EQ(free[0].tokens.size(), 24u);
  // A printable character the model produced (not the first token) as the stop string: the
  // answer ends where that character first appears.
  std::string stop;
  for (std::size_t t = 1; t < free[0].tokens.size() && stop.empty(); ++t) {
    if (free[0].tokens[t] >= 32 && free[0].tokens[t] < 127)
      stop = std::string(1, static_cast<char>(free[0].tokens[t]));
  }
  ASSERT_FALSE(stop.empty()) << "the tiny model produced no printable ASCII byte";
  config.stop_strings = {stop};
  std::string streamed;
  const auto stopped =
      generation::generate_text(model, tokenizer, {"hello"}, config,
                                [&](std::size_t, const std::string& text) { streamed += text; });
  const std::string expected = tokenizer.decode(free[0].tokens, true);
  const std::size_t end = expected.find(stop) + stop.size();
  EXPECT_EQ(stopped[0].text, expected.substr(0, end));
  EXPECT_EQ(stopped[0].reason, model::StopReason::callback);
  EXPECT_EQ(stopped[0].text.compare(0, streamed.size(), streamed), 0);  // a prefix, in order
  EXPECT_EQ(stopped[0].prompt_tokens, 6);                               // BOS and "hello"
}

}  // namespace
}  // namespace wizard::test
