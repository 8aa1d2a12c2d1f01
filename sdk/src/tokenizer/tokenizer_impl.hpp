// The state behind wizard::Tokenizer: the HF pipeline (added tokens,
// normalizer, pre-tokenizer, BPE model, post-processor, decoder) plus the
// special tokens a model folder declares.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "tokenizer/added_vocabulary.hpp"
#include "tokenizer/bpe_model.hpp"
#include "tokenizer/decoders.hpp"
#include "tokenizer/normalizers.hpp"
#include "tokenizer/post_processors.hpp"
#include "tokenizer/pre_tokenizers.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace wizard {

struct SpecialTokenSlot {
  std::optional<std::string> token;
  std::optional<std::int32_t> id;
};

struct Tokenizer::Impl {
  std::string source;
  std::unique_ptr<tokenizer::Normalizer> normalizer;
  std::unique_ptr<tokenizer::PreTokenizer> pre_tokenizer;
  std::unique_ptr<tokenizer::BpeModel> model;
  std::unique_ptr<tokenizer::PostProcessor> post_processor;
  std::unique_ptr<tokenizer::Decoder> decoder;
  std::unique_ptr<tokenizer::AddedVocabulary> added;
  std::size_t vocab_size = 0;

  SpecialTokenSlot bos, eos, pad, unk;
  bool clean_up_tokenization_spaces = false;

  void encode(std::string_view text, bool add_special_tokens, std::vector<std::int32_t>& ids) const;
  std::optional<std::int32_t> token_to_id(std::string_view token) const;
  const std::string* id_to_token(std::int32_t id) const;
};

// Builds the pipeline from a parsed tokenizer.json (`source` names it in errors).
std::shared_ptr<Tokenizer::Impl> load_tokenizer_json(const nlohmann::json& root,
                                                     const std::string& source);
std::shared_ptr<Tokenizer::Impl> load_tokenizer_text(std::string_view json_text,
                                                     const std::string& source);
std::shared_ptr<Tokenizer::Impl> load_tokenizer_file(const std::filesystem::path& path);

}  // namespace wizard
