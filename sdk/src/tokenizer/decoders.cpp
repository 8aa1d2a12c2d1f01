#include "tokenizer/decoders.hpp"

#include "base/utf8.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/pattern.hpp"

namespace wizard::tokenizer {
namespace {

// All tokens to bytes through the byte-level alphabet (a token with a
// character outside it keeps its own bytes), then one lossy UTF-8 string.
class ByteLevel final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens)
      if (!append_byte_level_decoded(bytes, token)) bytes += token;
    tokens.assign(1, utf8::replace_invalid(bytes));
  }
};

// The replacement becomes a space, except in the first token when a prefix was prepended.
class Metaspace final : public Decoder {
 public:
  Metaspace(char32_t replacement, bool strip_first)
      : replacement_(replacement), strip_first_(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      const std::string& token = tokens[i];
      for (std::size_t pos = 0; pos < token.size();) {
        const utf8::CodePoint cp = utf8::decode(token, pos);
        if (cp.value != replacement_)
          out.append(token, pos, cp.length);
        else if (!(i == 0 && strip_first_))
          out.push_back(' ');
        pos += cp.length;
      }
      tokens[i] = std::move(out);
    }
  }

 private:
  char32_t replacement_;
  bool strip_first_;
};

// Runs of <0xXX> tokens become the text of their bytes, or one U+FFFD per byte if invalid.
class ByteFallback final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    std::size_t byte_count = 0;
    const auto flush = [&] {
      if (!byte_count) return;
      if (utf8::is_valid(bytes))
        out.push_back(bytes);
      else
        for (std::size_t i = 0; i < byte_count; ++i) out.emplace_back("\xEF\xBF\xBD");
      bytes.clear();
      byte_count = 0;
    };
    for (std::string& token : tokens) {
      int byte = -1;
      if (token.size() == 6 && token.compare(0, 3, "<0x") == 0 && token[5] == '>')
        byte = parse_hex_byte(token[3], token[4]);
      if (byte >= 0) {
        bytes.push_back(static_cast<char>(byte));
        ++byte_count;
        continue;
      }
      flush();
      out.push_back(std::move(token));
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static int parse_hex_byte(char high, char low) {
    const auto digit = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int h = digit(high), l = digit(low);
    return h < 0 || l < 0 ? -1 : h * 16 + l;
  }
};

class Fuse final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string joined;
    for (const std::string& token : tokens) joined += token;
    tokens.assign(1, std::move(joined));
  }
};

// Removes up to `start` leading and `stop` trailing `content` characters from each token.
class Strip final : public Decoder {
 public:
  Strip(char32_t content, std::size_t start, std::size_t stop)
      : content_(content), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) {
      std::vector<std::size_t> bounds;  // byte offset of each character, plus the end
      for (std::size_t pos = 0; pos < token.size(); pos += utf8::decode(token, pos).length)
        bounds.push_back(pos);
      const std::size_t count = bounds.size();
      bounds.push_back(token.size());
      const auto is_content = [&](std::size_t i) {
        return utf8::decode(token, bounds[i]).value == content_;
      };
      std::size_t start_cut = 0;
      for (std::size_t i = 0; i < std::min(start_, count) && is_content(i); ++i) start_cut = i + 1;
      std::size_t stop_cut = count;
      for (std::size_t i = 0; i < std::min(stop_, count - start_cut); ++i) {
        const std::size_t index = count - i - 1;
        if (!is_content(index)) break;
        stop_cut = index;
      }
      token = token.substr(bounds[start_cut], bounds[stop_cut] - bounds[start_cut]);
    }
  }

 private:
  char32_t content_;
  std::size_t start_, stop_;
};

class Replace final : public Decoder {
 public:
  Replace(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) token = pattern_.replace_all(token, content_);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class Sequence final : public Decoder {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

bool metaspace_strips_first(const JsonView& node) {
  if (node.has("prepend_scheme")) return node.string("prepend_scheme") != "never";
  return node.boolean("add_prefix_space", true);
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const JsonView& node) {
  if (node.json().is_null()) return nullptr;
  const std::string type = node.type();
  if (type == "ByteLevel") return std::make_unique<ByteLevel>();
  if (type == "Metaspace")
    return std::make_unique<Metaspace>(node.character("replacement"), metaspace_strips_first(node));
  if (type == "ByteFallback") return std::make_unique<ByteFallback>();
  if (type == "Fuse") return std::make_unique<Fuse>();
  if (type == "Strip")
    return std::make_unique<Strip>(node.character("content"),
                                   static_cast<std::size_t>(node.integer("start", 0)),
                                   static_cast<std::size_t>(node.integer("stop", 0)));
  if (type == "Replace")
    return std::make_unique<Replace>(Pattern::from_json(node.at("pattern")),
                                     node.string("content"));
  if (type == "Sequence")
    return std::make_unique<Sequence>(make_each<Decoder>(node.at("decoders"), make_decoder));
  node.unsupported("decoder", type,
                   "ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence");
}

}  // namespace wizard::tokenizer
