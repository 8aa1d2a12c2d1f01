#include "wizard/generation/text_stream.hpp"

#include <algorithm>

namespace wizard::generation {

namespace {

// Bytes at the end of `text` that may be the start of a character still to come: a decoder
// shows an incomplete UTF-8 sequence as U+FFFD, which the next token may replace.
std::size_t unfinished_tail(const std::string& text) {
  static const std::string kReplacement = "\xEF\xBF\xBD";
  std::size_t tail = 0;
  while (text.size() >= tail + kReplacement.size() &&
         text.compare(text.size() - tail - kReplacement.size(), kReplacement.size(),
                      kReplacement) == 0) {
    tail += kReplacement.size();
  }
  return tail;
}

}  // namespace

TextStream::TextStream(Tokenizer tokenizer, std::vector<std::string> stop_strings)
    : tokenizer_(std::move(tokenizer)), stop_strings_(std::move(stop_strings)) {}

std::string TextStream::add(std::int32_t token) {
  tokens_.push_back(token);
  if (!stop_strings_.empty() && !stopped_) {
    const std::string raw = tokenizer_.decode(tokens_, /*skip_special_tokens=*/false);
    std::size_t longest = 0;
    for (const auto& stop : stop_strings_) longest = std::max(longest, stop.size());
    // Only where a newly completed stop string can be: overlapping what the new token added.
    const std::size_t from = searched_ > longest ? searched_ - longest : 0;
    for (const auto& stop : stop_strings_) {
      if (!stop.empty() && raw.find(stop, from) != std::string::npos) stopped_ = true;
    }
    searched_ = raw.size();
  }
  const std::string shown = tokenizer_.decode(tokens_, /*skip_special_tokens=*/true);
  const std::size_t ready = shown.size() - unfinished_tail(shown);
  if (ready <= shown_) return "";
  std::string piece = shown.substr(shown_, ready - shown_);
  shown_ = ready;
  return piece;
}

std::string TextStream::text() const {
  return tokenizer_.decode(tokens_, /*skip_special_tokens=*/true);
}

}  // namespace wizard::generation
