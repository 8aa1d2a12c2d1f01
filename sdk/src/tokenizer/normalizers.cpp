#include "tokenizer/normalizers.hpp"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>

#include <cstring>
#include <vector>

#include "base/utf8.hpp"
#include "tokenizer/pattern.hpp"
#include "tokenizer/unicode.hpp"
#include "wizard/base/error.hpp"

namespace wizard::tokenizer {
namespace {

bool is_ascii(std::string_view text) {
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t chunk;
    std::memcpy(&chunk, text.data() + i, 8);
    if (chunk & 0x8080808080808080ull) return false;
  }
  for (; i < text.size(); ++i)
    if (static_cast<unsigned char>(text[i]) >= 0x80) return false;
  return true;
}

class UnicodeForm final : public Normalizer {
 public:
  UnicodeForm(const std::string& form, const JsonView& node) {
    UErrorCode status = U_ZERO_ERROR;
    if (form == "NFC")
      normalizer_ = icu::Normalizer2::getNFCInstance(status);
    else if (form == "NFD")
      normalizer_ = icu::Normalizer2::getNFDInstance(status);
    else if (form == "NFKC")
      normalizer_ = icu::Normalizer2::getNFKCInstance(status);
    else
      normalizer_ = icu::Normalizer2::getNFKDInstance(status);
    if (U_FAILURE(status))
      node.fail(std::string("ICU cannot load ") + form + ": " + u_errorName(status));
  }
  bool leaves_unchanged(std::string_view text) const override {
    if (is_ascii(text)) return true;  // ASCII is invariant under every normalization form
    UErrorCode status = U_ZERO_ERROR;
    const bool normalized = normalizer_->isNormalizedUTF8(
        icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), status);
    return U_SUCCESS(status) && normalized;
  }
  void normalize(std::string& text) const override {
    if (leaves_unchanged(text)) return;
    UErrorCode status = U_ZERO_ERROR;
    std::string out;
    icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(text.size()));
    normalizer_->normalizeUTF8(0, text, sink, nullptr, status);
    if (U_FAILURE(status))
      throw Error(std::string("Unicode normalization failed: ") + u_errorName(status));
    text = std::move(out);
  }

 private:
  const icu::Normalizer2* normalizer_ = nullptr;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
      const utf8::CodePoint cp = utf8::decode(text, pos);
      append_lowercase(out, cp.value);
      pos += cp.length;
    }
    text = std::move(out);
  }
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class Replace final : public Normalizer {
 public:
  Replace(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string& text) const override { text = pattern_.replace_all(text, content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    std::size_t begin = 0, end = text.size();
    if (left_)
      while (begin < end) {
        const utf8::CodePoint cp = utf8::decode(text, begin);
        if (!is_whitespace(cp.value)) break;
        begin += cp.length;
      }
    if (right_)
      while (end > begin) {
        const std::size_t previous = utf8::previous_boundary(text, end);
        if (!is_whitespace(utf8::decode(text, previous).value)) break;
        end = previous;
      }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

class Sequence final : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  bool leaves_unchanged(std::string_view text) const override {
    for (const auto& step : steps_)
      if (!step->leaves_unchanged(text)) return false;
    return true;
  }
  void normalize(std::string& text) const override {
    for (const auto& step : steps_) step->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const JsonView& node) {
  if (node.json().is_null()) return nullptr;
  const std::string type = node.type();
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD")
    return std::make_unique<UnicodeForm>(type, node);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "Prepend") return std::make_unique<Prepend>(node.string("prepend"));
  if (type == "Replace")
    return std::make_unique<Replace>(Pattern::from_json(node.at("pattern")),
                                     node.string("content"));
  if (type == "Strip")
    return std::make_unique<Strip>(node.boolean("strip_left", false),
                                   node.boolean("strip_right", false));
  if (type == "Sequence")
    return std::make_unique<Sequence>(
        make_each<Normalizer>(node.at("normalizers"), make_normalizer));
  node.unsupported("normalizer", type,
                   "NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, Sequence");
}

}  // namespace wizard::tokenizer
