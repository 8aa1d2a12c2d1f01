#include "generation_setup.hpp"

#include <ATen/Parallel.h>

#include "config_files.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/generation/generation_options.hpp"
#include "wizard/model/device.hpp"
#include "wizard/model/hub.hpp"

namespace wizard::core {

namespace fs = std::filesystem;

namespace {

// Command-line spellings of the [generation] keys (--max-new-tokens -> max_new_tokens).
const std::vector<std::pair<std::string, std::string>>& sampling_flags() {
  static const std::vector<std::pair<std::string, std::string>> flags = {
      {"max-new-tokens", "max_new_tokens"},
      {"min-new-tokens", "min_new_tokens"},
      {"temperature", "temperature"},
      {"top-k", "top_k"},
      {"top-p", "top_p"},
      {"min-p", "min_p"},
      {"repetition-penalty", "repetition_penalty"},
      {"seed", "seed"}};
  return flags;
}

bool is_config_file(const std::string& argument) {
  const std::string extension = fs::path(argument).extension().string();
  return fs::is_regular_file(argument) && (extension == ".toml" || extension == ".json" ||
                                           extension == ".yaml" || extension == ".yml");
}

OptionDocs setup_keys(const OptionDocs& command_keys) {
  OptionDocs keys = {
      {"model", "string", "", "a model folder, or a hub name found in the local HF cache"},
      {"revision", "string", "main", "hub revision"},
      {"dtype", "string", "the model's", "float32, bfloat16 or float16"},
      {"device", "string", "auto", "auto (a GPU when there is one), cpu, cuda, cuda:N"},
      {"threads", "int", "0", "intra-op threads; 0 = every core this process may use"},
      {"chat_template_kwargs", "table", "", "extra chat-template variables (enable_thinking, ...)"},
      {"generation", "table", "", "sampling settings over generation_config.json"},
  };
  keys.insert(keys.end(), command_keys.begin(), command_keys.end());
  return keys;
}

}  // namespace

void declare_generation_options(po::options_description& options,
                                po::positional_options_description& positional) {
  options.add_options()("model", po::value<std::string>()->required(),
                        "a model folder, a hub name, or a config file (.toml/.json/.yaml)")(
      "dtype", po::value<std::string>(), "float32, bfloat16 or float16 (default: the model's)")(
      "device", po::value<std::string>(),
      "auto (a GPU when there is one, the default), cpu, cuda, cuda:N")(
      "threads", po::value<std::int64_t>(), "intra-op threads (default: every core)")(
      "do-sample", "sample instead of greedy decoding")(
      "stop", po::value<std::vector<std::string>>()->composing(), "a stop string (repeatable)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override a config value: --set generation.top_p=0.9 (repeatable)");
  for (const auto& [flag, key] : sampling_flags()) {
    options.add_options()(flag.c_str(), po::value<std::string>(), ("[generation] " + key).c_str());
  }
  declare_log_option(options);
  positional.add("model", 1);
}

GenerationSetup load_generation_setup(const po::variables_map& vm, const OptionDocs& command_keys) {
  const std::string argument = vm["model"].as<std::string>();
  ConfigValue tree = ConfigValue::table({}, SourceLocation{"<command line>", 0, 0});
  std::vector<std::string> overrides;
  if (is_config_file(argument)) {
    tree = read_config_file(argument);
  } else {
    overrides.push_back("model=" + argument);
  }
  for (const char* key : {"dtype", "device"}) {
    if (vm.count(key)) overrides.push_back(std::string(key) + "=" + vm[key].as<std::string>());
  }
  if (vm.count("threads"))
    overrides.push_back("threads=" + std::to_string(vm["threads"].as<std::int64_t>()));
  for (const auto& [flag, key] : sampling_flags()) {
    if (vm.count(flag)) overrides.push_back("generation." + key + "=" + vm[flag].as<std::string>());
  }
  if (vm.count("do-sample")) overrides.push_back("generation.do_sample=true");
  if (vm.count("stop")) {
    std::string list = "[";
    for (const auto& stop : vm["stop"].as<std::vector<std::string>>()) {
      list += (list.size() > 1 ? ", " : "") + nlohmann::json(stop).dump();
    }
    overrides.push_back("generation.stop_strings=" + list + "]");
  }
  if (vm.count("set")) {
    for (const auto& item : vm["set"].as<std::vector<std::string>>()) overrides.push_back(item);
  }
  apply_overrides(tree, overrides);

  GenerationSetup setup;
  setup.config = Config(std::move(tree));
  const Config& config = setup.config;
  config.check_keys(setup_keys(command_keys));
  const auto threads = config.get<std::int64_t>("threads", 0);
  if (threads < 0) config.fail("threads", "must be 0 (every core) or more");
  if (threads > 0) at::set_num_threads(static_cast<int>(threads));

  setup.model_dir = hub::resolve_model(config.require<std::string>("model"),
                                       config.get<std::string>("revision", ""));
  setup.tokenizer = std::make_unique<Tokenizer>(Tokenizer::from_pretrained(setup.model_dir));
  setup.templates = load_chat_templates(setup.model_dir);
  const Config kwargs = config.table("chat_template_kwargs");
  for (const auto& key : kwargs.keys()) {
    nlohmann::ordered_json value;
    const ConfigValue& item = *kwargs.find(key);
    if (item.is(ConfigValue::Kind::Bool))
      value = item.as_bool();
    else if (item.is(ConfigValue::Kind::Integer))
      value = item.as_integer();
    else if (item.is(ConfigValue::Kind::Float))
      value = item.as_float();
    else if (item.is(ConfigValue::Kind::String))
      value = item.as_string();
    else
      kwargs.fail(key, "must be a bool, number or string");
    setup.templates.default_template_kwargs[key] = value;
  }

  c10::Device device(at::kCPU);
  try {
    device = model::resolve_device(config.get<std::string>("device", "auto"));
  } catch (const ConfigError& error) {
    config.fail("device", error.what());
  }
  const model::ModelConfig model_config =
      model::ModelConfig::from_file(setup.model_dir / "config.json");
  const std::string dtype_name = config.get<std::string>("dtype", model_config.torch_dtype);
  at::ScalarType dtype = at::kFloat;
  try {
    dtype = model::dtype_from_name(dtype_name);
  } catch (const Error& error) {
    config.fail("dtype", error.what());
  }
  setup.model = std::make_unique<model::CausalLM>(
      model::CausalLM::from_pretrained(setup.model_dir, dtype, device));
  setup.generation = model::GenerationConfig::from_model(*setup.model);
  if (setup.generation.eos_token_ids.empty()) {
    if (auto eos = setup.tokenizer->eos_token_id()) setup.generation.eos_token_ids = {*eos};
  }
  if (!setup.generation.pad_token_id) {
    if (auto pad = setup.tokenizer->pad_token_id()) setup.generation.pad_token_id = *pad;
  }
  generation::apply_generation_table(config.table("generation"), setup.generation);
  logger()->info("model {} ({} layers, {} on {}), {} threads", setup.model_dir.string(),
                 model_config.num_hidden_layers, model::dtype_name_of(dtype), device.str(),
                 at::get_num_threads());
  return setup;
}

}  // namespace wizard::core
