#include "tokenizer/added_vocabulary.hpp"

#include <cstring>

#include "base/utf8.hpp"
#include "tokenizer/normalizers.hpp"
#include "tokenizer/unicode.hpp"

namespace wizard::tokenizer {
namespace {

bool ends_with_word(std::string_view text) {
  return !text.empty() &&
         is_alphanumeric(utf8::decode(text, utf8::previous_boundary(text, text.size())).value);
}

bool starts_with_word(std::string_view text) {
  return !text.empty() && is_alphanumeric(utf8::decode(text, 0).value);
}

// Start of the whitespace run that ends `text` (text.size() if none).
std::size_t trailing_space_start(std::string_view text) {
  std::size_t start = text.size();
  while (start > 0) {
    const std::size_t previous = utf8::previous_boundary(text, start);
    if (!is_whitespace(utf8::decode(text, previous).value)) break;
    start = previous;
  }
  return start;
}

// Length of the whitespace run that starts `text`.
std::size_t leading_space_length(std::string_view text) {
  std::size_t length = 0;
  while (length < text.size()) {
    const utf8::CodePoint cp = utf8::decode(text, length);
    if (!is_whitespace(cp.value)) break;
    length += cp.length;
  }
  return length;
}

}  // namespace

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& token = tokens_[i];
    index_by_id_[token.id] = i;
    index_by_content_[token.content] = i;
    if (token.content.empty()) continue;
    if (!token.normalized) {
      raw_.add(token.content, i);
    } else {
      std::string content = token.content;
      if (normalizer) normalizer->normalize(content);
      normalized_.add(content, i);
    }
  }
}

const AddedToken* AddedVocabulary::by_id(std::int32_t id) const {
  const auto it = index_by_id_.find(id);
  return it == index_by_id_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken* AddedVocabulary::by_content(std::string_view content) const {
  const auto it = index_by_content_.find(std::string(content));
  return it == index_by_content_.end() ? nullptr : &tokens_[it->second];
}

void AddedVocabulary::Matcher::add(std::string_view pattern, std::size_t token_index) {
  std::uint32_t node = 0;
  for (const char c : pattern) {
    const auto byte = static_cast<unsigned char>(c);
    std::uint32_t next = 0;
    for (const auto& [b, child] : nodes_[node].children)
      if (b == byte) next = child;
    if (!next) {
      next = static_cast<std::uint32_t>(nodes_.size());
      nodes_[node].children.emplace_back(byte, next);
      nodes_.emplace_back();
    }
    node = next;
  }
  // The first token given a content keeps it (HF builds its automaton in token order).
  if (nodes_[node].token < 0) nodes_[node].token = static_cast<std::int64_t>(token_index);
  const auto first = static_cast<unsigned char>(pattern.front());
  if (!first_byte_[first]) ++distinct_first_bytes_;
  first_byte_[first] = true;
  only_first_byte_ = first;
}

std::size_t AddedVocabulary::Matcher::next_candidate(std::string_view text,
                                                     std::size_t from) const {
  if (distinct_first_bytes_ == 1) {  // e.g. every token starts with '<': memchr is much faster
    const void* hit = std::memchr(text.data() + from, only_first_byte_, text.size() - from);
    return hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - text.data())
               : text.size();
  }
  while (from < text.size() && !first_byte_[static_cast<unsigned char>(text[from])]) ++from;
  return from;
}

std::int64_t AddedVocabulary::Matcher::longest_at(std::string_view text, std::size_t pos,
                                                  std::size_t& end) const {
  std::int64_t found = -1;
  std::uint32_t node = 0;
  for (std::size_t i = pos; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::uint32_t next = 0;
    for (const auto& [b, child] : nodes_[node].children)
      if (b == byte) {
        next = child;
        break;
      }
    if (!next) break;
    node = next;
    if (nodes_[node].token >= 0) {
      found = nodes_[node].token;
      end = i + 1;
    }
  }
  return found;
}

void AddedVocabulary::Matcher::split(const std::vector<AddedToken>& tokens, std::string_view text,
                                     std::vector<Segment>& out) const {
  out.clear();
  std::size_t consumed = 0;  // end of what has been emitted
  std::size_t search = 0;    // where the next automaton match may start
  if (!empty()) {
    while (search < text.size()) {
      search = next_candidate(text, search);
      if (search >= text.size()) break;
      std::size_t match_end = 0;
      const std::int64_t index = longest_at(text, search, match_end);
      if (index < 0) {
        ++search;
        continue;
      }
      std::size_t start = search, stop = match_end;
      search = match_end;  // matches never overlap, whatever is done with this one
      const AddedToken& token = tokens[static_cast<std::size_t>(index)];
      if (token.single_word && ((start > 0 && ends_with_word(text.substr(0, start))) ||
                                (stop < text.size() && starts_with_word(text.substr(stop)))))
        continue;
      if (token.lstrip) start = std::max(trailing_space_start(text.substr(0, start)), consumed);
      if (token.rstrip) stop += leading_space_length(text.substr(stop));
      if (consumed < start)
        out.push_back(
            {static_cast<std::uint32_t>(consumed), static_cast<std::uint32_t>(start), -1});
      out.push_back(
          {static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(stop), token.id});
      consumed = stop;
    }
  }
  if (consumed < text.size())
    out.push_back(
        {static_cast<std::uint32_t>(consumed), static_cast<std::uint32_t>(text.size()), -1});
}

}  // namespace wizard::tokenizer
