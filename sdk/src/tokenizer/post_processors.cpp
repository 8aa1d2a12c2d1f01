#include "tokenizer/post_processors.hpp"

#include <map>
#include <string>

namespace wizard::tokenizer {
namespace {

// A single-sequence template: each element is the sequence ($A) or fixed ids.
class Template final : public PostProcessor {
 public:
  struct Element {
    bool is_sequence;
    std::vector<std::int32_t> ids;
  };
  explicit Template(std::vector<Element> elements) : elements_(std::move(elements)) {}
  void process(std::vector<std::int32_t>& ids, bool add_special_tokens) const override {
    if (!add_special_tokens) return;
    std::vector<std::int32_t> out;
    for (const Element& element : elements_) {
      const auto& source = element.is_sequence ? ids : element.ids;
      out.insert(out.end(), source.begin(), source.end());
    }
    ids = std::move(out);
  }

 private:
  std::vector<Element> elements_;
};

class Identity final : public PostProcessor {
 public:
  void process(std::vector<std::int32_t>&, bool) const override {}
};

class Sequence final : public PostProcessor {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  void process(std::vector<std::int32_t>& ids, bool add_special_tokens) const override {
    for (const auto& step : steps_) step->process(ids, add_special_tokens);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

// One template piece: {"Sequence": {...}}, {"SpecialToken": {...}} or a string
// such as "$A", "$B:1", "[CLS]", "<s>:0".
Template::Element template_element(
    const JsonView& piece, const std::map<std::string, std::vector<std::int32_t>>& special) {
  const auto special_ids = [&](const std::string& name, const JsonView& where) {
    const auto it = special.find(name);
    if (it == special.end())
      where.fail("template uses special token \"" + name + "\" missing from special_tokens");
    return Template::Element{false, it->second};
  };
  if (piece.json().is_string()) {
    std::string text = piece.json().get<std::string>();
    const std::size_t colon = text.rfind(':');
    if (colon != std::string::npos && colon + 1 < text.size() &&
        text.find_first_not_of("0123456789", colon + 1) == std::string::npos)
      text.erase(colon);
    if (!text.empty() && text[0] == '$') {
      if (text == "$B" || text == "$1")
        piece.fail("the pair sequence $B cannot appear in a single template");
      return {true, {}};
    }
    return special_ids(text, piece);
  }
  if (piece.has("Sequence")) {
    if (piece.at("Sequence").string("id") != "A")
      piece.fail("the pair sequence B cannot appear in a single template");
    return {true, {}};
  }
  if (piece.has("SpecialToken")) return special_ids(piece.at("SpecialToken").string("id"), piece);
  piece.fail("expected a template piece {\"Sequence\": ...} or {\"SpecialToken\": ...}");
}

std::unique_ptr<PostProcessor> template_processing(const JsonView& node) {
  std::map<std::string, std::vector<std::int32_t>> special;
  if (node.has("special_tokens")) {
    const JsonView tokens = node.at("special_tokens");
    for (const auto& [name, value] : tokens.json().items()) {
      const JsonView entry = tokens.at(name);
      std::vector<std::int32_t> ids;
      for (const JsonView& id : entry.at("ids").items()) {
        if (!id.json().is_number_integer()) id.fail("expected an integer id");
        ids.push_back(id.json().get<std::int32_t>());
      }
      special[entry.has("id") ? entry.string("id") : name] = std::move(ids);
    }
  }
  const JsonView single = node.at("single");
  std::vector<JsonView> pieces;
  std::vector<nlohmann::json> split_words;  // for the one-string form "[CLS] $A [SEP]"
  if (single.json().is_string()) {
    const std::string text = single.json().get<std::string>();
    for (std::size_t pos = 0; pos < text.size();) {
      const std::size_t space = text.find(' ', pos);
      const std::size_t end = space == std::string::npos ? text.size() : space;
      if (end > pos) split_words.emplace_back(text.substr(pos, end - pos));
      pos = end + 1;
    }
    for (std::size_t i = 0; i < split_words.size(); ++i)
      pieces.emplace_back(split_words[i], single.file(),
                          single.path() + " word " + std::to_string(i));
  } else {
    pieces = single.items();
  }
  std::vector<Template::Element> elements;
  for (const JsonView& piece : pieces) elements.push_back(template_element(piece, special));
  return std::make_unique<Template>(std::move(elements));
}

// BertProcessing / RobertaProcessing: cls A sep, each given as ["token", id].
std::unique_ptr<PostProcessor> cls_sep(const JsonView& node) {
  const auto id_of = [&](const std::string& key) {
    const JsonView pair = node.at(key);
    if (!pair.json().is_array() || pair.json().size() != 2 || !pair.json()[1].is_number_integer())
      pair.fail("expected [\"token\", id]");
    return pair.json()[1].get<std::int32_t>();
  };
  return std::make_unique<Template>(
      std::vector<Template::Element>{{false, {id_of("cls")}}, {true, {}}, {false, {id_of("sep")}}});
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const JsonView& node) {
  if (node.json().is_null()) return nullptr;
  const std::string type = node.type();
  if (type == "TemplateProcessing") return template_processing(node);
  if (type == "BertProcessing" || type == "RobertaProcessing") return cls_sep(node);
  if (type == "ByteLevel") return std::make_unique<Identity>();
  if (type == "Sequence")
    return std::make_unique<Sequence>(
        make_each<PostProcessor>(node.at("processors"), make_post_processor));
  node.unsupported("post_processor", type,
                   "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence");
}

}  // namespace wizard::tokenizer
