// The pre-tokenization state of one text segment: a backing string and the
// pieces (byte ranges into it) that will each be handed to the model. Steps
// that only cut pieces keep the backing string; steps that rewrite text
// (ByteLevel, Metaspace) build a new one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/utf8.hpp"

namespace wizard::tokenizer {

struct Piece {
  std::uint32_t begin;
  std::uint32_t end;
  // The piece starts at byte 0 of the caller's original text (Metaspace's
  // prepend_scheme "first" tests exactly that).
  bool at_origin;
};

// A matched or unmatched stretch of a piece, as HF's Pattern::find_matches yields.
struct Span {
  std::uint32_t begin;
  std::uint32_t end;
  bool is_match;
};

struct PieceList {
  std::string text;
  std::vector<Piece> pieces;
  // The pieces still hold raw bytes that the ByteLevel pre-tokenizer maps to
  // its alphabet. The mapping is deferred to the model, so that cached words
  // skip it; any later step that reads text calls materialize_byte_level().
  bool byte_level_pending = false;
  // Reused scratch buffers (kept here so a thread-local PieceList allocates once).
  std::string next_text;
  std::vector<Piece> next_pieces;
  std::vector<Span> spans;

  std::string_view view(const Piece& piece) const {
    return std::string_view(text).substr(piece.begin, piece.end - piece.begin);
  }
  void reset(std::string_view segment, bool at_origin) {
    text.assign(segment.data(), segment.size());
    pieces.clear();
    byte_level_pending = false;
    if (!segment.empty())
      pieces.push_back({0, static_cast<std::uint32_t>(segment.size()), at_origin});
  }
};

// Applies a pending ByteLevel mapping to every piece.
void materialize_byte_level(PieceList& list);

// HF's SplitDelimiterBehavior.
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// Turns the spans of one piece into new pieces (appended to `out`) the way
// HF's NormalizedString::split does; empty pieces are dropped.
void split_piece(const Piece& piece, std::vector<Span>& spans, SplitBehavior behavior,
                 std::vector<Piece>& out);

// Spans of `text` (offsets relative to `base`) where every character for which
// `is_match` holds is its own match, as HF's Pattern impl for Fn(char) -> bool.
template <class Predicate>
void char_spans(std::string_view text, std::uint32_t base, Predicate&& is_match,
                std::vector<Span>& spans);

}  // namespace wizard::tokenizer

namespace wizard::tokenizer {

template <class Predicate>
void char_spans(std::string_view text, std::uint32_t base, Predicate&& is_match,
                std::vector<Span>& spans) {
  spans.clear();
  std::uint32_t last = 0;
  for (std::uint32_t pos = 0; pos < text.size();) {
    const utf8::CodePoint cp = utf8::decode(text, pos);
    if (is_match(cp.value)) {
      if (last < pos) spans.push_back({base + last, base + pos, false});
      spans.push_back({base + pos, base + pos + cp.length, true});
      last = pos + cp.length;
    }
    pos += cp.length;
  }
  if (last < text.size())
    spans.push_back({base + last, base + static_cast<std::uint32_t>(text.size()), false});
}

}  // namespace wizard::tokenizer
