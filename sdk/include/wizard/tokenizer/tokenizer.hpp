// Hugging Face fast tokenizers (tokenizer.json) in C++: encodes and decodes
// exactly as HF tokenizers 0.22 does for BPE models (Llama-3, Qwen, GPT-2,
// Mistral-style files), and reads the special tokens transformers would from
// tokenizer_config.json / config.json / generation_config.json.
//
//   auto tok = wizard::Tokenizer::from_pretrained("models/Qwen3-0.6B");
//   std::vector<int32_t> ids = tok.encode("Hello, world!", /*add_special_tokens=*/true);
//   std::string text = tok.decode(ids, /*skip_special_tokens=*/true);
//
// A Tokenizer is immutable and cheap to copy (copies share state); every const
// method may be called from many threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard {

class WIZARD_API Tokenizer {
 public:
  // Loads a tokenizer.json. Unsupported component types and malformed files
  // throw wizard::Error naming the file, the key path and the type.
  static Tokenizer from_file(const std::filesystem::path& tokenizer_json);
  // The same from text already in memory; `source_name` is used in error messages.
  static Tokenizer from_json_text(std::string_view json_text,
                                  const std::string& source_name = "<memory>");
  // A model folder: tokenizer.json plus tokenizer_config.json (special tokens,
  // clean_up_tokenization_spaces), with special_tokens_map.json, config.json and
  // generation_config.json as fallbacks for the bos/eos/pad/unk ids.
  static Tokenizer from_pretrained(const std::filesystem::path& model_dir);

  // Token ids of `text`; add_special_tokens runs the post-processor (e.g. adds <|begin_of_text|>).
  // Invalid UTF-8 in `text` is read as U+FFFD, one per maximal invalid subsequence.
  std::vector<std::int32_t> encode(std::string_view text, bool add_special_tokens) const;
  // encode() of every text on `threads` threads (0: all cores); results in input order.
  std::vector<std::vector<std::int32_t>> encode_batch(const std::vector<std::string>& texts,
                                                      bool add_special_tokens,
                                                      int threads = 0) const;

  // HF tokenizers' decode (unknown ids are skipped).
  std::string decode(const std::vector<std::int32_t>& ids, bool skip_special_tokens) const;
  // transformers' tokenizer.decode: decode(), then clean_up_tokenization when
  // clean_up_tokenization_spaces() is set.
  std::string transformers_decode(const std::vector<std::int32_t>& ids,
                                  bool skip_special_tokens) const;

  std::optional<std::int32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(std::int32_t id) const;
  // Model vocabulary plus added tokens, as len(tokenizer) in transformers.
  std::size_t vocab_size() const;
  // True for ids of added tokens marked special.
  bool is_special_id(std::int32_t id) const;

  // Special tokens from the model folder (empty when loaded with from_file).
  const std::optional<std::string>& bos_token() const;
  const std::optional<std::string>& eos_token() const;
  const std::optional<std::string>& pad_token() const;
  const std::optional<std::string>& unk_token() const;
  std::optional<std::int32_t> bos_token_id() const;
  std::optional<std::int32_t> eos_token_id() const;
  std::optional<std::int32_t> pad_token_id() const;
  std::optional<std::int32_t> unk_token_id() const;
  // tokenizer_config.json's clean_up_tokenization_spaces (false when absent, as transformers 4.51).
  bool clean_up_tokenization_spaces() const;

  struct Impl;

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

// transformers' clean_up_tokenization: removes spaces before punctuation and
// common English contractions (" ." -> ".", " n't" -> "n't", ...).
WIZARD_API std::string clean_up_tokenization(std::string text);

}  // namespace wizard
