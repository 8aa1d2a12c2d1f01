#include "tokenizer/pieces.hpp"

#include "tokenizer/byte_level.hpp"

namespace wizard::tokenizer {

void split_piece(const Piece& piece, std::vector<Span>& spans, SplitBehavior behavior,
                 std::vector<Piece>& out) {
  // Fold the spans in place into the pieces to keep (is_match now means "drop").
  std::size_t kept = 0;
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (Span& span : spans) span.is_match = false;
      kept = spans.size();
      break;
    case SplitBehavior::Removed:
      kept = spans.size();
      break;
    case SplitBehavior::MergedWithPrevious: {
      bool previous_match = false;
      for (const Span span : spans) {  // a copy: the slot may be overwritten below
        if (span.is_match && !previous_match && kept > 0)
          spans[kept - 1].end = span.end;
        else
          spans[kept++] = {span.begin, span.end, false};
        previous_match = span.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      // Right to left: a match joins the piece that follows it.
      std::vector<Span> reversed;
      reversed.reserve(spans.size());
      bool previous_match = false;
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !reversed.empty())
          reversed.back().begin = it->begin;
        else
          reversed.push_back({it->begin, it->end, false});
        previous_match = it->is_match;
      }
      spans.assign(reversed.rbegin(), reversed.rend());
      kept = spans.size();
      break;
    }
    case SplitBehavior::Contiguous: {
      int previous = -1;               // unknown, then 0 / 1
      for (const Span span : spans) {  // a copy: the slot may be overwritten below
        if (previous == static_cast<int>(span.is_match) && kept > 0)
          spans[kept - 1].end = span.end;
        else
          spans[kept++] = {span.begin, span.end, false};
        previous = span.is_match;
      }
      break;
    }
  }
  for (std::size_t i = 0; i < kept; ++i) {
    const Span& span = spans[i];
    if (span.is_match || span.begin == span.end) continue;
    out.push_back({span.begin, span.end, piece.at_origin && span.begin == piece.begin});
  }
}

void materialize_byte_level(PieceList& list) {
  if (!list.byte_level_pending) return;
  list.next_text.clear();
  for (Piece& piece : list.pieces) {
    const auto begin = static_cast<std::uint32_t>(list.next_text.size());
    append_byte_level(list.next_text, list.view(piece));
    piece.begin = begin;
    piece.end = static_cast<std::uint32_t>(list.next_text.size());
  }
  list.text.swap(list.next_text);
  list.byte_level_pending = false;
}

}  // namespace wizard::tokenizer
