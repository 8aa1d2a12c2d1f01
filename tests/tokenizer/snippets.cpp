#include "snippets.hpp"

namespace wizard::test {

nlohmann::json bpe_model(const std::vector<std::string>& tokens, const nlohmann::json& merges) {
  nlohmann::json vocab = nlohmann::json::object();
  for (std::size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = i;
  return {{"type", "BPE"},
          {"dropout", nullptr},
          {"unk_token", nullptr},
          {"continuing_subword_prefix", nullptr},
          {"end_of_word_suffix", nullptr},
          {"fuse_unk", false},
          {"byte_fallback", false},
          {"ignore_merges", false},
          {"vocab", vocab},
          {"merges", merges}};
}

nlohmann::json tokenizer_json(const nlohmann::json& model, const nlohmann::json& parts) {
  nlohmann::json document = {{"version", "1.0"},
                             {"truncation", nullptr},
                             {"padding", nullptr},
                             {"added_tokens", nlohmann::json::array()},
                             {"normalizer", nullptr},
                             {"pre_tokenizer", nullptr},
                             {"post_processor", nullptr},
                             {"decoder", nullptr},
                             {"model", model}};
  for (const auto& [key, value] : parts.items()) document[key] = value;
  return document;
}

Tokenizer tokenizer_from(const nlohmann::json& document) {
  return Tokenizer::from_json_text(document.dump(), "snippet.json");
}

tokenizer::JsonView view_of(const nlohmann::json& value) {
  return tokenizer::JsonView(value, "snippet.json", "part");
}

nlohmann::json added_token(int id, const std::string& content, bool special, nlohmann::json flags) {
  nlohmann::json token = {{"id", id},          {"content", content}, {"single_word", false},
                          {"lstrip", false},   {"rstrip", false},    {"normalized", !special},
                          {"special", special}};
  for (const auto& [key, value] : flags.items()) token[key] = value;
  return token;
}

}  // namespace wizard::test
