#include "wizard/generation/generation_options.hpp"

#include "wizard/base/error.hpp"

namespace wizard::generation {

OptionDocs generation_option_docs() {
  return {
      {"max_new_tokens", "int", "256", "new tokens per answer at most"},
      {"max_length", "int", "", "prompt + new tokens at most (transformers' max_length)"},
      {"min_new_tokens", "int", "0", "EOS is forbidden before this many new tokens"},
      {"do_sample", "bool", "false", "sample (true) or take the most likely token (false)"},
      {"temperature", "float", "1.0", "sampling: divide the logits by this"},
      {"top_k", "int", "50", "sampling: keep the k most likely tokens (0: all)"},
      {"top_p", "float", "1.0", "sampling: keep the most likely tokens up to this probability"},
      {"min_p", "float", "0.0",
       "sampling: drop tokens less likely than min_p times the most likely one"},
      {"repetition_penalty", "float", "1.0",
       "penalise every token already in the prompt or answer (transformers' rule; 1 = off)"},
      {"eos_token_id", "int|list[int]", "", "ids that end an answer (default: the model's)"},
      {"pad_token_id", "int", "", "the id prompts are left-padded with (default: the model's)"},
      {"stop_strings", "string|list[string]", "[]", "texts that end an answer (kept in it)"},
      {"seed", "int", "", "sampling seed (default: a fresh random one)"},
  };
}

namespace {

// An int or a list of ints / a string or a list of strings.
std::vector<std::int64_t> ints_of(const Config& table, const std::string& key) {
  if (table.find(key)->is(ConfigValue::Kind::Array)) {
    return table.require<std::vector<std::int64_t>>(key);
  }
  return {table.require<std::int64_t>(key)};
}

std::vector<std::string> strings_of(const Config& table, const std::string& key) {
  if (table.find(key)->is(ConfigValue::Kind::Array)) {
    return table.require<std::vector<std::string>>(key);
  }
  return {table.require<std::string>(key)};
}

}  // namespace

void apply_generation_table(const Config& table, model::GenerationConfig& config) {
  table.check_keys(generation_option_docs());
  auto set = [&](const char* key, auto& field) {
    using T = std::decay_t<decltype(field)>;
    if (table.has(key)) field = table.require<T>(key);
  };
  set("max_new_tokens", config.max_new_tokens);
  if (table.has("max_length")) config.max_length = table.require<std::int64_t>("max_length");
  set("min_new_tokens", config.min_new_tokens);
  set("do_sample", config.do_sample);
  set("temperature", config.temperature);
  set("top_k", config.top_k);
  set("top_p", config.top_p);
  set("min_p", config.min_p);
  set("repetition_penalty", config.repetition_penalty);
  if (table.has("eos_token_id")) config.eos_token_ids = ints_of(table, "eos_token_id");
  if (table.has("pad_token_id")) config.pad_token_id = table.require<std::int64_t>("pad_token_id");
  if (table.has("stop_strings")) config.stop_strings = strings_of(table, "stop_strings");
  if (table.has("seed")) {
    const std::int64_t seed = table.require<std::int64_t>("seed");
    if (seed < 0) table.fail("seed", "must be 0 or more");
    config.seed = static_cast<std::uint64_t>(seed);
  }
  try {
    config.validate();
  } catch (const ConfigError& error) {
    table.fail("", error.what());
  }
}

}  // namespace wizard::generation
