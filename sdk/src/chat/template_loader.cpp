#include "wizard/chat/template_loader.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "wizard/base/log.hpp"
#include "wizard/base/text.hpp"

namespace wizard {

namespace fs = std::filesystem;

namespace {

// transformers' SPECIAL_TOKENS_ATTRIBUTES, in its order.
constexpr const char* kSpecialTokenNames[] = {
    "bos_token", "eos_token", "unk_token",  "sep_token",
    "pad_token", "cls_token", "mask_token", "additional_special_tokens"};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error("cannot read " + path.string() + ": check that the file exists and is readable");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::ordered_json read_json_file(const fs::path& path) {
  try {
    return nlohmann::ordered_json::parse(read_text(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(path.string() + " is not valid JSON (" + json_error_reason(e) +
                "); re-download or fix the file");
  }
}

// A special token as written in tokenizer files: a string, or an AddedToken
// object {"content": ...}. Empty when unset.
std::string token_text(const nlohmann::ordered_json& value, const fs::path& file,
                       const std::string& key) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    return value["content"].get<std::string>();
  }
  throw Error(file.string() + ": \"" + key +
              "\" must be a string or an object with \"content\", not " +
              std::string(value.type_name()));
}

nlohmann::ordered_json special_tokens_from(const nlohmann::ordered_json& config,
                                           const fs::path& file) {
  if (!config.is_object()) throw Error(file.string() + ": expected a JSON object at the top level");
  nlohmann::ordered_json tokens = nlohmann::ordered_json::object();
  for (const char* name : kSpecialTokenNames) {
    const auto it = config.find(name);
    if (it == config.end()) continue;
    if (std::string(name) == "additional_special_tokens") {
      if (it->is_null()) continue;
      if (!it->is_array())
        throw Error(file.string() + ": \"additional_special_tokens\" must be a list");
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const auto& token : *it) list.push_back(token_text(token, file, name));
      if (!list.empty()) tokens[name] = std::move(list);
    } else if (std::string text = token_text(*it, file, name); !text.empty()) {
      tokens[name] = std::move(text);
    }
  }
  return tokens;
}

// Named templates from tokenizer_config.json's "chat_template".
std::vector<std::pair<std::string, std::string>> templates_from_config(
    const nlohmann::ordered_json& value, const fs::path& file) {
  std::vector<std::pair<std::string, std::string>> named;
  if (value.is_null()) return named;
  if (value.is_string()) {
    named.emplace_back("default", value.get<std::string>());
    return named;
  }
  if (!value.is_array()) {
    throw Error(file.string() +
                ": \"chat_template\" must be a string or a list of {\"name\", \"template\"}, not " +
                std::string(value.type_name()));
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto& entry = value[i];
    if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") ||
        !entry["name"].is_string() || !entry["template"].is_string()) {
      throw Error(file.string() + ": chat_template[" + std::to_string(i) +
                  "] must be an object with string \"name\" and \"template\"");
    }
    const std::string name = entry["name"].get<std::string>();
    // As in transformers' dict comprehension, a repeated name keeps the last template.
    named.erase(
        std::remove_if(named.begin(), named.end(), [&](const auto& n) { return n.first == name; }),
        named.end());
    named.emplace_back(name, entry["template"].get<std::string>());
  }
  return named;
}

void set_template(std::vector<std::pair<std::string, std::string>>& named, const std::string& name,
                  std::string source) {
  for (auto& [existing, text] : named) {
    if (existing == name) {
      text = std::move(source);
      return;
    }
  }
  named.emplace_back(name, std::move(source));
}

std::string names_of(const std::vector<ChatTemplate>& templates) {
  std::vector<std::string> names;
  for (const auto& t : templates) names.push_back("'" + t.name() + "'");
  return join(names);
}

}  // namespace

const std::string& chatml_template_source() {
  static const std::string source =
      "{%- for message in messages %}"
      "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
      "{%- endfor %}"
      "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";
  return source;
}

nlohmann::ordered_json special_tokens_map(const nlohmann::ordered_json& tokenizer_config) {
  return special_tokens_from(tokenizer_config, "tokenizer_config.json");
}

ModelChatTemplates load_chat_templates(const fs::path& model_dir) {
  if (!fs::is_directory(model_dir)) {
    throw Error("cannot load chat templates: " + model_dir.string() +
                " is not a folder (expected a model folder "
                "with tokenizer_config.json)");
  }
  ModelChatTemplates result;
  std::vector<std::pair<std::string, std::string>> named;
  std::vector<std::string> sources;

  const fs::path config_path = model_dir / "tokenizer_config.json";
  if (fs::exists(config_path)) {
    const auto config = read_json_file(config_path);
    result.special_tokens = special_tokens_from(config, config_path);
    if (const auto it = config.find("chat_template"); it != config.end()) {
      named = templates_from_config(*it, config_path);
      if (!named.empty()) sources.push_back(config_path.string());
    }
  }
  // special_tokens_map.json, when present, takes precedence (transformers loads it after the
  // config).
  const fs::path map_path = model_dir / "special_tokens_map.json";
  if (fs::exists(map_path)) {
    const auto overrides = special_tokens_from(read_json_file(map_path), map_path);
    for (const auto& [key, value] : overrides.items()) result.special_tokens[key] = value;
    nlohmann::ordered_json ordered = nlohmann::ordered_json::object();
    for (const char* name : kSpecialTokenNames) {
      if (result.special_tokens.contains(name)) ordered[name] = result.special_tokens[name];
    }
    result.special_tokens = std::move(ordered);
  }
  // chat_template.jinja replaces whatever tokenizer_config.json had.
  const fs::path jinja_path = model_dir / "chat_template.jinja";
  if (fs::exists(jinja_path)) {
    named.clear();
    sources.clear();
    named.emplace_back("default", read_text(jinja_path));
    sources.push_back(jinja_path.string());
  }
  const fs::path extra_dir = model_dir / "additional_chat_templates";
  if (fs::is_directory(extra_dir)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(extra_dir)) {
      if (entry.path().extension() == ".jinja") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      set_template(named, file.stem().string(), read_text(file));
      sources.push_back(file.string());
    }
  }

  if (named.empty()) {
    logger()->warn(
        "{} has no chat template (no \"chat_template\" in tokenizer_config.json, no "
        "chat_template.jinja); "
        "using wizard's built-in ChatML template (<|im_start|>role ... <|im_end|>)",
        model_dir.string());
    result.templates.emplace_back(chatml_template_source(), "chatml");
    result.origin = "wizard's built-in ChatML template";
    result.builtin = true;
    return result;
  }
  for (auto& [name, source] : named) result.templates.emplace_back(std::move(source), name);
  result.origin = join(sources);
  return result;
}

const ChatTemplate& ModelChatTemplates::select(const std::string& name, bool with_tools) const {
  const auto find = [&](const std::string& wanted) -> const ChatTemplate* {
    for (const auto& t : templates) {
      if (t.name() == wanted) return &t;
    }
    return nullptr;
  };
  if (builtin && !templates.empty() && name.empty()) return templates.front();
  if (!name.empty()) {
    if (const ChatTemplate* found = find(name)) return *found;
    std::vector<std::string> names;
    for (const auto& t : templates) names.push_back(t.name());
    std::string hint;
    if (auto nearest = nearest_name(name, names)) hint = " (did you mean '" + *nearest + "'?)";
    throw Error("no chat template named '" + name + "' in " + origin + hint +
                "; available: " + names_of(templates));
  }
  if (with_tools) {
    if (const ChatTemplate* found = find("tool_use")) return *found;
  }
  if (const ChatTemplate* found = find("default")) return *found;
  throw Error(
      origin +
      " has several chat templates and none named 'default'; choose one by name (available: " +
      names_of(templates) + ")");
}

std::string ModelChatTemplates::apply(const nlohmann::ordered_json& messages,
                                      const ChatOptions& options,
                                      const std::string& template_name) const {
  const bool with_tools = !options.tools.is_null();
  if (default_template_kwargs.empty()) {
    return apply_chat_template(select(template_name, with_tools), messages, options,
                               special_tokens);
  }
  // The model's default kwargs first; the call's own kwargs win.
  ChatOptions merged = options;
  merged.template_kwargs = default_template_kwargs;
  for (const auto& [key, value] : options.template_kwargs.items()) {
    merged.template_kwargs[key] = value;
  }
  return apply_chat_template(select(template_name, with_tools), messages, merged, special_tokens);
}

}  // namespace wizard
