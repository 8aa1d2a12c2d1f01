// tokenizer.json "added_tokens": tokens matched in the text before the model
// runs. As in HF, the longest token at the leftmost position wins; tokens with
// normalized=false are matched on the raw text, the others on each normalized
// segment; single_word, lstrip and rstrip adjust or reject a match.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wizard::tokenizer {

class Normalizer;

struct AddedToken {
  std::string content;
  std::int32_t id = -1;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

// A stretch of text that is either an added token (id >= 0) or left for the model.
struct Segment {
  std::uint32_t begin;
  std::uint32_t end;
  std::int32_t id;
};

class AddedVocabulary {
 public:
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // Splits on tokens with normalized=false (raw text) / normalized=true (normalized text).
  void split_raw(std::string_view text, std::vector<Segment>& out) const {
    raw_.split(tokens_, text, out);
  }
  void split_normalized(std::string_view text, std::vector<Segment>& out) const {
    normalized_.split(tokens_, text, out);
  }
  bool has_normalized_tokens() const { return !normalized_.empty(); }

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  const AddedToken* by_id(std::int32_t id) const;
  const AddedToken* by_content(std::string_view content) const;

 private:
  // Leftmost-longest matching of a set of strings (a byte trie).
  class Matcher {
   public:
    void add(std::string_view pattern, std::size_t token_index);
    bool empty() const { return nodes_.size() <= 1; }
    void split(const std::vector<AddedToken>& tokens, std::string_view text,
               std::vector<Segment>& out) const;

   private:
    struct Node {
      std::vector<std::pair<unsigned char, std::uint32_t>> children;
      std::int64_t token = -1;
    };
    // The longest pattern starting at `pos`: its token index, or -1.
    std::int64_t longest_at(std::string_view text, std::size_t pos, std::size_t& end) const;
    // The first position at or after `from` where a pattern may start.
    std::size_t next_candidate(std::string_view text, std::size_t from) const;
    std::vector<Node> nodes_{Node{}};
    bool first_byte_[256] = {};
    int distinct_first_bytes_ = 0;
    unsigned char only_first_byte_ = 0;
  };

  std::vector<AddedToken> tokens_;
  std::unordered_map<std::int32_t, std::size_t> index_by_id_;
  std::unordered_map<std::string, std::size_t> index_by_content_;
  Matcher raw_;
  Matcher normalized_;
};

}  // namespace wizard::tokenizer
