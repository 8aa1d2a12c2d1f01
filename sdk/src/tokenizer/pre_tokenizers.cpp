#include "tokenizer/pre_tokenizers.hpp"

#include <unicode/uchar.h>

#include <vector>

#include "base/utf8.hpp"
#include "tokenizer/pattern.hpp"
#include "tokenizer/unicode.hpp"

namespace wizard::tokenizer {

const char* gpt2_pattern() {
  return R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
}

namespace {

// Cuts every piece of `list` at the spans `find_spans(piece_text, piece_begin, spans)` yields.
template <class FindSpans>
void cut_pieces(PieceList& list, SplitBehavior behavior, FindSpans&& find_spans) {
  materialize_byte_level(list);
  list.next_pieces.clear();
  for (const Piece& piece : list.pieces) {
    find_spans(list.view(piece), piece.begin, list.spans);
    split_piece(piece, list.spans, behavior, list.next_pieces);
  }
  list.pieces.swap(list.next_pieces);
}

// Rebuilds the text: `rewrite(piece_text, piece, out_text, out_pieces)` appends each piece's
// new text and the pieces cut from it.
template <class Rewrite>
void rewrite_pieces(PieceList& list, Rewrite&& rewrite) {
  materialize_byte_level(list);
  list.next_text.clear();
  list.next_pieces.clear();
  for (const Piece& piece : list.pieces)
    rewrite(list.view(piece), piece, list.next_text, list.next_pieces);
  list.text.swap(list.next_text);
  list.pieces.swap(list.next_pieces);
}

SplitBehavior parse_behavior(const JsonView& node) {
  const std::string name = node.string("behavior");
  if (name == "Removed") return SplitBehavior::Removed;
  if (name == "Isolated") return SplitBehavior::Isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (name == "Contiguous") return SplitBehavior::Contiguous;
  node.at("behavior")
      .fail("unknown split behavior \"" + name +
            "\" (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

class Split final : public PreTokenizer {
 public:
  Split(Pattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(PieceList& list) const override {
    cut_pieces(list, behavior_,
               [&](std::string_view text, std::uint32_t base, std::vector<Span>& spans) {
                 pattern_.spans(text, base, spans);
                 if (invert_)
                   for (Span& span : spans) span.is_match = !span.is_match;
               });
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

// Leaves the bytes raw and marks the list: the model maps them to the byte
// alphabet only for words it has not cached (see PieceList::byte_level_pending).
class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space),
        use_regex_(use_regex),
        words_(Pattern::regex(gpt2_pattern())) {}
  void pre_tokenize(PieceList& list) const override {
    if (add_prefix_space_)
      rewrite_pieces(list, [](std::string_view text, const Piece& piece, std::string& out,
                              std::vector<Piece>& pieces) {
        const auto start = static_cast<std::uint32_t>(out.size());
        if (text.front() != ' ') out.push_back(' ');
        out.append(text);
        pieces.push_back({start, static_cast<std::uint32_t>(out.size()), piece.at_origin});
      });
    if (use_regex_)
      cut_pieces(list, SplitBehavior::Isolated,
                 [&](std::string_view text, std::uint32_t base, std::vector<Span>& spans) {
                   words_.spans(text, base, spans);
                 });
    materialize_byte_level(list);  // a ByteLevel applied twice maps twice, as in HF
    list.byte_level_pending = true;
  }

 private:
  bool add_prefix_space_;
  bool use_regex_;
  Pattern words_;
};

class Metaspace final : public PreTokenizer {
 public:
  enum class Prepend { Always, First, Never };
  Metaspace(char32_t replacement, Prepend prepend, bool split)
      : replacement_(replacement), prepend_(prepend), split_(split) {
    utf8::append(replacement_text_, replacement);
  }
  void pre_tokenize(PieceList& list) const override {
    rewrite_pieces(list, [&](std::string_view text, const Piece& piece, std::string& out,
                             std::vector<Piece>& pieces) {
      const auto start = static_cast<std::uint32_t>(out.size());
      const bool starts_with_replacement =
          text.substr(0, replacement_text_.size()) == replacement_text_ || (text.front() == ' ');
      const bool prepend =
          !starts_with_replacement &&
          (prepend_ == Prepend::Always || (prepend_ == Prepend::First && piece.at_origin));
      if (prepend) out.append(replacement_text_);
      for (const char c : text) {
        if (c == ' ')
          out.append(replacement_text_);
        else
          out.push_back(c);
      }
      const Piece rewritten{start, static_cast<std::uint32_t>(out.size()), piece.at_origin};
      if (!split_) {
        pieces.push_back(rewritten);
        return;
      }
      thread_local std::vector<Span> spans;
      char_spans(
          std::string_view(out).substr(start), start, [&](char32_t c) { return c == replacement_; },
          spans);
      split_piece(rewritten, spans, SplitBehavior::MergedWithNext, pieces);
    });
  }

 private:
  char32_t replacement_;
  std::string replacement_text_;
  Prepend prepend_;
  bool split_;
};

template <class Predicate>
class CharSplit final : public PreTokenizer {
 public:
  CharSplit(Predicate predicate, SplitBehavior behavior)
      : predicate_(predicate), behavior_(behavior) {}
  void pre_tokenize(PieceList& list) const override {
    cut_pieces(list, behavior_,
               [&](std::string_view text, std::uint32_t base, std::vector<Span>& spans) {
                 char_spans(text, base, predicate_, spans);
               });
  }

 private:
  Predicate predicate_;
  SplitBehavior behavior_;
};

template <class Predicate>
std::unique_ptr<PreTokenizer> char_split(Predicate predicate, SplitBehavior behavior) {
  return std::make_unique<CharSplit<Predicate>>(predicate, behavior);
}

class Sequence final : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(PieceList& list) const override {
    for (const auto& step : steps_) step->pre_tokenize(list);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

Metaspace::Prepend parse_prepend_scheme(const JsonView& node) {
  // Files written before prepend_scheme existed carry add_prefix_space instead.
  if (!node.has("prepend_scheme"))
    return node.boolean("add_prefix_space", true) ? Metaspace::Prepend::Always
                                                  : Metaspace::Prepend::Never;
  const std::string scheme = node.string("prepend_scheme");
  if (scheme == "always") return Metaspace::Prepend::Always;
  if (scheme == "first") return Metaspace::Prepend::First;
  if (scheme == "never") return Metaspace::Prepend::Never;
  node.at("prepend_scheme")
      .fail("unknown prepend_scheme \"" + scheme + "\" (expected always, first or never)");
}

bool is_punctuation(char32_t cp) {
  if (cp < 128)
    return (cp >= '!' && cp <= '/') || (cp >= ':' && cp <= '@') || (cp >= '[' && cp <= '`') ||
           (cp >= '{' && cp <= '~');
  return (general_category_mask(cp) & U_GC_P_MASK) != 0;
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonView& node) {
  if (node.json().is_null()) return nullptr;
  const std::string type = node.type();
  if (type == "Split")
    return std::make_unique<Split>(Pattern::from_json(node.at("pattern")), parse_behavior(node),
                                   node.boolean("invert", false));
  if (type == "ByteLevel")
    return std::make_unique<ByteLevel>(node.boolean("add_prefix_space", true),
                                       node.boolean("use_regex", true));
  if (type == "Metaspace")
    return std::make_unique<Metaspace>(node.character("replacement"), parse_prepend_scheme(node),
                                       node.boolean("split", true));
  if (type == "Digits")
    return char_split([](char32_t c) { return is_numeric(c); },
                      node.boolean("individual_digits", false) ? SplitBehavior::Isolated
                                                               : SplitBehavior::Contiguous);
  if (type == "WhitespaceSplit")
    return char_split([](char32_t c) { return is_whitespace(c); }, SplitBehavior::Removed);
  if (type == "Punctuation")
    return char_split([](char32_t c) { return is_punctuation(c); },
                      node.has("behavior") ? parse_behavior(node) : SplitBehavior::Isolated);
  if (type == "Whitespace")
    return std::make_unique<Split>(Pattern::regex(R"(\w+|[^\w\s]+)"), SplitBehavior::Removed,
                                   /*invert=*/true);
  if (type == "Sequence")
    return std::make_unique<Sequence>(
        make_each<PreTokenizer>(node.at("pretokenizers"), make_pre_tokenizer));
  node.unsupported(
      "pre_tokenizer", type,
      "Split, ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit, Punctuation, Sequence");
}

}  // namespace wizard::tokenizer
