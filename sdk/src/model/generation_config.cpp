// GenerationConfig: transformers' generation_config.json fields and their checks.
#include <cmath>
#include <sstream>

#include "wizard/base/error.hpp"
#include "wizard/model/generate.hpp"

namespace wizard::model {

namespace {

template <typename T>
void read(const nlohmann::json& json, const char* key, T& into, const std::string& source) {
  const auto found = json.find(key);
  if (found == json.end() || found->is_null()) return;
  try {
    into = found->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(source + ": " + key + " has the wrong type (" + found->dump() + ")");
  }
}

template <typename T>
void read_optional(const nlohmann::json& json, const char* key, std::optional<T>& into,
                   const std::string& source) {
  if (!json.contains(key) || json[key].is_null()) return;
  T value{};
  read(json, key, value, source);
  into = value;
}

// eos_token_id: one id or a list of ids.
std::vector<int64_t> id_list(const nlohmann::json& value, const std::string& source) {
  if (value.is_number_integer()) return {value.get<int64_t>()};
  std::vector<int64_t> ids;
  if (value.is_array()) {
    for (const auto& id : value) {
      if (!id.is_number_integer()) break;
      ids.push_back(id.get<int64_t>());
    }
    if (ids.size() == value.size()) return ids;
  }
  throw Error(source + ": eos_token_id must be an id or a list of ids, got " + value.dump());
}

template <typename T>
std::string text_of(T value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

GenerationConfig GenerationConfig::from_json(const nlohmann::json& json,
                                             const std::string& source) {
  GenerationConfig config;
  if (json.is_null()) return config;
  if (!json.is_object()) throw Error(source + ": expected a JSON object");
  read(json, "max_new_tokens", config.max_new_tokens, source);
  read_optional(json, "max_length", config.max_length, source);
  read(json, "min_new_tokens", config.min_new_tokens, source);
  read(json, "do_sample", config.do_sample, source);
  read(json, "temperature", config.temperature, source);
  read(json, "top_k", config.top_k, source);
  read(json, "top_p", config.top_p, source);
  read(json, "min_p", config.min_p, source);
  read(json, "repetition_penalty", config.repetition_penalty, source);
  if (json.contains("stop_strings") && json["stop_strings"].is_string()) {
    config.stop_strings = {json["stop_strings"].get<std::string>()};
  } else {
    read(json, "stop_strings", config.stop_strings, source);
  }
  if (json.contains("eos_token_id") && !json["eos_token_id"].is_null()) {
    config.eos_token_ids = id_list(json["eos_token_id"], source);
  }
  read_optional(json, "pad_token_id", config.pad_token_id, source);
  return config;
}

GenerationConfig GenerationConfig::from_model(const CausalLM& model) {
  GenerationConfig config = from_json(model.generation_config());
  const ModelConfig& c = model.config();
  if (config.eos_token_ids.empty()) config.eos_token_ids = c.eos_token_ids;
  if (!config.pad_token_id) config.pad_token_id = c.pad_token_id;
  return config;
}

void GenerationConfig::validate() const {
  auto fail = [](const std::string& field, const std::string& rule, const std::string& value) {
    throw ConfigError("generation: " + field + " = " + value + ": " + rule);
  };
  if (max_new_tokens < 0) fail("max_new_tokens", "must be 0 or more", text_of(max_new_tokens));
  if (min_new_tokens < 0) fail("min_new_tokens", "must be 0 or more", text_of(min_new_tokens));
  if (max_length && *max_length < 1) fail("max_length", "must be at least 1", text_of(*max_length));
  if (!(repetition_penalty > 0) || !std::isfinite(repetition_penalty)) {
    fail("repetition_penalty", "must be a positive number (1 = off)", text_of(repetition_penalty));
  }
  if (!do_sample) return;
  if (!(temperature > 0) || !std::isfinite(temperature)) {
    fail("temperature", "must be positive when sampling (do_sample = false decodes greedily)",
         text_of(temperature));
  }
  if (top_k < 0) fail("top_k", "must be 0 (off) or more", text_of(top_k));
  if (!(top_p > 0 && top_p <= 1)) fail("top_p", "must be in (0, 1]", text_of(top_p));
  if (!(min_p >= 0 && min_p <= 1)) fail("min_p", "must be in [0, 1]", text_of(min_p));
}

std::string stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::eos:
      return "eos";
    case StopReason::callback:
      return "stop";
    case StopReason::length:
      break;
  }
  return "length";
}

}  // namespace wizard::model
