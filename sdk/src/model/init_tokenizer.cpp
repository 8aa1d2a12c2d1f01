#include "init_tokenizer.hpp"

#include <algorithm>

#include "wizard/base/error.hpp"

namespace wizard::model {

namespace {

constexpr const char* kEndOfText = "<|endoftext|>";
constexpr const char* kImStart = "<|im_start|>";
constexpr const char* kImEnd = "<|im_end|>";

// GPT-2's byte-to-unicode table: printable Latin-1 bytes stand for themselves, the others
// are moved to U+0100 onwards, so that every byte is a visible character.
std::vector<char32_t> byte_symbols() {
  std::vector<char32_t> symbol(256, 0);
  std::vector<bool> printable(256, false);
  for (int b = '!'; b <= '~'; ++b) printable[b] = true;
  for (int b = 0xA1; b <= 0xAC; ++b) printable[b] = true;
  for (int b = 0xAE; b <= 0xFF; ++b) printable[b] = true;
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) symbol[b] = printable[b] ? static_cast<char32_t>(b) : next++;
  return symbol;
}

std::string utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

nlohmann::json byte_level(bool trim_offsets) {
  return {{"type", "ByteLevel"},
          {"add_prefix_space", false},
          {"trim_offsets", trim_offsets},
          {"use_regex", true}};
}

// The ChatML layout Qwen models use: <|im_start|>role\ncontent<|im_end|>\n per message.
constexpr const char* kChatTemplate =
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

}  // namespace

const std::vector<std::string>& InitTokenizer::special_tokens() {
  static const std::vector<std::string> tokens{kEndOfText, kImStart, kImEnd};
  return tokens;
}

int64_t InitTokenizer::size() {
  return 256 + static_cast<int64_t>(special_tokens().size());
}

int64_t InitTokenizer::id_of(const std::string& special_token) {
  const auto& tokens = special_tokens();
  const auto it = std::find(tokens.begin(), tokens.end(), special_token);
  if (it == tokens.end()) throw Error("init tokenizer: no special token " + special_token);
  return 256 + (it - tokens.begin());
}

nlohmann::json InitTokenizer::tokenizer_json() {
  nlohmann::json vocab = nlohmann::json::object();
  const auto symbols = byte_symbols();
  for (int b = 0; b < 256; ++b) vocab[utf8(symbols[b])] = b;
  nlohmann::json added = nlohmann::json::array();
  for (const std::string& token : special_tokens()) {
    added.push_back({{"id", id_of(token)},
                     {"content", token},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", nullptr},
          {"pre_tokenizer", byte_level(true)},
          {"post_processor", byte_level(false)},
          {"decoder", byte_level(true)},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", false},
            {"byte_fallback", false},
            {"ignore_merges", false},
            {"vocab", vocab},
            {"merges", nlohmann::json::array()}}}};
}

nlohmann::json InitTokenizer::tokenizer_config_json(int64_t model_max_length) {
  nlohmann::json decoder = nlohmann::json::object();
  for (const std::string& token : special_tokens()) {
    decoder[std::to_string(id_of(token))] = {{"content", token},     {"lstrip", false},
                                             {"normalized", false},  {"rstrip", false},
                                             {"single_word", false}, {"special", true}};
  }
  return {{"add_prefix_space", false},
          {"added_tokens_decoder", decoder},
          {"additional_special_tokens", {kImStart, kImEnd}},
          {"bos_token", nullptr},
          {"chat_template", kChatTemplate},
          {"clean_up_tokenization_spaces", false},
          {"eos_token", kImEnd},
          {"errors", "replace"},
          {"model_max_length", model_max_length},
          {"pad_token", kEndOfText},
          {"split_special_tokens", false},
          {"tokenizer_class", "PreTrainedTokenizerFast"},
          {"unk_token", nullptr}};
}

}  // namespace wizard::model
