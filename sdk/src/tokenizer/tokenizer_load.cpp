// Reading tokenizer.json into the pipeline.
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "tokenizer/json_view.hpp"
#include "tokenizer/tokenizer_impl.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"

namespace wizard {

using tokenizer::JsonView;

namespace {

std::vector<tokenizer::AddedToken> read_added_tokens(const JsonView& root) {
  std::vector<tokenizer::AddedToken> tokens;
  if (!root.has("added_tokens")) return tokens;
  for (const JsonView& item : root.at("added_tokens").items()) {
    tokenizer::AddedToken token;
    token.content = item.string("content");
    const std::int64_t id = item.integer("id");
    if (id < 0 || id > INT32_MAX) item.fail("id out of range");
    token.id = static_cast<std::int32_t>(id);
    token.special = item.boolean("special", false);
    token.single_word = item.boolean("single_word", false);
    token.lstrip = item.boolean("lstrip", false);
    token.rstrip = item.boolean("rstrip", false);
    token.normalized = item.boolean("normalized", true);  // serde default of AddedToken
    tokens.push_back(std::move(token));
  }
  return tokens;
}

JsonView optional_component(const JsonView& root, const std::string& key) {
  static const nlohmann::json null_value;
  if (!root.has(key)) return JsonView(null_value, root.file(), key);
  return root.at(key);
}

}  // namespace

std::shared_ptr<Tokenizer::Impl> load_tokenizer_json(const nlohmann::json& json,
                                                     const std::string& source) {
  const JsonView root(json, source, "");
  if (!json.is_object()) root.fail("expected a JSON object (a Hugging Face tokenizer.json)");
  auto impl = std::make_shared<Tokenizer::Impl>();
  impl->source = source;

  const JsonView model = root.at("model");
  // Old files omit model.type; BPE is the one with merges.
  const std::string model_type =
      model.has("type") ? model.type() : (model.has("merges") ? "BPE" : "");
  if (model_type != "BPE")
    model.unsupported("model", model_type.empty() ? "(no type)" : model_type, "BPE");
  impl->model = tokenizer::BpeModel::from_json(model);

  impl->normalizer = tokenizer::make_normalizer(optional_component(root, "normalizer"));
  impl->pre_tokenizer = tokenizer::make_pre_tokenizer(optional_component(root, "pre_tokenizer"));
  impl->post_processor = tokenizer::make_post_processor(optional_component(root, "post_processor"));
  impl->decoder = tokenizer::make_decoder(optional_component(root, "decoder"));
  impl->added =
      std::make_unique<tokenizer::AddedVocabulary>(read_added_tokens(root), impl->normalizer.get());

  // len(tokenizer): distinct token strings of the model vocabulary and the added tokens.
  const tokenizer::Vocabulary& vocab = impl->model->vocabulary();
  std::unordered_set<std::string> extra;
  for (const auto& token : impl->added->tokens())
    if (!vocab.find(token.content)) extra.insert(token.content);
  impl->vocab_size = vocab.size() + extra.size();
  return impl;
}

Tokenizer::Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

std::shared_ptr<Tokenizer::Impl> load_tokenizer_text(std::string_view json_text,
                                                     const std::string& source) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(json_text.begin(), json_text.end());
  } catch (const nlohmann::json::parse_error& error) {
    throw Error(source + ": not valid JSON (" + json_error_reason(error) +
                "); expected a Hugging Face tokenizer.json");
  }
  return load_tokenizer_json(json, source);
}

std::shared_ptr<Tokenizer::Impl> load_tokenizer_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open tokenizer file; check the path");
  std::ostringstream text;
  text << in.rdbuf();
  return load_tokenizer_text(text.str(), path.string());
}

Tokenizer Tokenizer::from_json_text(std::string_view json_text, const std::string& source_name) {
  return Tokenizer(load_tokenizer_text(json_text, source_name));
}

Tokenizer Tokenizer::from_file(const std::filesystem::path& tokenizer_json) {
  return Tokenizer(load_tokenizer_file(tokenizer_json));
}

}  // namespace wizard
