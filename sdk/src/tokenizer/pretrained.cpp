// Tokenizer::from_pretrained: a model folder's tokenizer.json plus the special
// tokens transformers would read for it.
#include <fstream>

#include "tokenizer/tokenizer_impl.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"

namespace wizard {
namespace {

namespace fs = std::filesystem;

nlohmann::json read_optional_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& error) {
    throw Error(path.string() + ": not valid JSON (" + json_error_reason(error) + ")");
  }
}

// A special token given as "text", {"content": "text", ...} (AddedToken dict) or null.
std::optional<std::string> token_text(const nlohmann::json& config, const std::string& key,
                                      const fs::path& file) {
  if (!config.contains(key) || config[key].is_null()) return std::nullopt;
  const nlohmann::json& value = config[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string())
    return value["content"].get<std::string>();
  throw Error(file.string() + ": '" + key + "' must be a string or an object with \"content\"");
}

// An id from config.json / generation_config.json; a list (several EOS ids) gives its first.
std::optional<std::int32_t> config_id(const nlohmann::json& config, const std::string& key) {
  if (!config.contains(key)) return std::nullopt;
  const nlohmann::json& value = config[key];
  if (value.is_number_integer()) return value.get<std::int32_t>();
  if (value.is_array() && !value.empty() && value[0].is_number_integer())
    return value[0].get<std::int32_t>();
  return std::nullopt;
}

}  // namespace

Tokenizer Tokenizer::from_pretrained(const std::filesystem::path& model_dir) {
  const fs::path tokenizer_json = model_dir / "tokenizer.json";
  if (!fs::exists(tokenizer_json))
    throw Error(model_dir.string() +
                ": no tokenizer.json; wizard reads the fast-tokenizer format only "
                "(save the tokenizer with transformers' save_pretrained to create it)");
  const std::shared_ptr<Impl> impl = load_tokenizer_file(tokenizer_json);

  const fs::path config_path = model_dir / "tokenizer_config.json";
  const nlohmann::json tokenizer_config = read_optional_json(config_path);
  const nlohmann::json special_map = read_optional_json(model_dir / "special_tokens_map.json");
  const nlohmann::json model_config = read_optional_json(model_dir / "config.json");
  const nlohmann::json generation_config = read_optional_json(model_dir / "generation_config.json");

  if (tokenizer_config.contains("clean_up_tokenization_spaces") &&
      tokenizer_config["clean_up_tokenization_spaces"].is_boolean())
    impl->clean_up_tokenization_spaces =
        tokenizer_config["clean_up_tokenization_spaces"].get<bool>();

  const auto resolve = [&](SpecialTokenSlot& slot, const std::string& name) {
    const std::string key = name + "_token";
    // special_tokens_map.json overrides tokenizer_config.json, as in transformers.
    slot.token = token_text(special_map, key, model_dir / "special_tokens_map.json");
    if (!slot.token) slot.token = token_text(tokenizer_config, key, config_path);
    if (slot.token) {
      slot.id = impl->token_to_id(*slot.token);
      if (!slot.id)
        logger()->warn("{}: {} \"{}\" is not in the vocabulary", config_path.string(), key,
                       *slot.token);
      return;
    }
    slot.id = config_id(model_config, key + "_id");
    if (!slot.id) slot.id = config_id(generation_config, key + "_id");
    if (slot.id)
      if (const std::string* text = impl->id_to_token(*slot.id)) slot.token = *text;
  };
  resolve(impl->bos, "bos");
  resolve(impl->eos, "eos");
  resolve(impl->pad, "pad");
  resolve(impl->unk, "unk");
  return Tokenizer(impl);
}

}  // namespace wizard
