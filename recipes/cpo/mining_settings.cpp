#include "mining_settings.hpp"

#include "feature_keys.hpp"

namespace wizard::cpo {

namespace {

std::string strategy_of(const Config& args) {
  return args.get<std::string>("hard_negative_strategy", "semantic_search");
}

OptionDocs own_options() {
  return {
      {"create_hard_negatives", "bool", "false",
       "before training, mine each example's hardest negatives among the other examples' "
       "chosen answers (mined_negatives.jsonl beside the run)"},
      {"hard_negative_strategy", "string", "semantic_search",
       "the miner plugin: semantic_search, policy_score, or library.Class"},
      {"mined_negatives_per_example", "int", "4", "negatives mined per example"},
      {"mining_exact_limit", "int", "200000",
       "distinct answers searched exactly; above it FAISS's HNSW index (when built with it)"},
      {"mining_batch_tokens", "int", "8192", "tokens per forward pass while mining"},
      {"mining_refresh_epochs", "int", "",
       "re-mine with the policy's current weights at the start of every N-th epoch"},
      {"mining_embedding_model", "string", "",
       "a model folder (or hub name) that embeds the answers instead of the policy"},
  };
}

}  // namespace

OptionDocs MiningSettings::options(const Config& args, PluginHost& host) {
  OptionDocs options = own_options();
  if (args.get<bool>("create_hard_negatives", false)) {
    for (auto& option : host.options(PluginKind::NegativeMiner, strategy_of(args),
                                     args.location("hard_negative_strategy"))) {
      options.push_back(option);
    }
  }
  return options;
}

MiningSettings MiningSettings::read(const Config& args, PluginHost& host) {
  MiningSettings out;
  out.enabled = args.get<bool>("create_hard_negatives", false);
  if (!out.enabled) {
    refuse_while_off(args, own_options(), "create_hard_negatives", "hard-negative mining",
                     "set create_hard_negatives = true");
    return out;
  }
  out.strategy = strategy_of(args);
  out.named_at = args.location("hard_negative_strategy");
  ConfigValue table = ConfigValue::table({}, args.location());
  for (const auto& option : host.options(PluginKind::NegativeMiner, out.strategy, out.named_at)) {
    if (const ConfigValue* value = args.find(option.name)) table.set(option.name, *value);
  }
  out.miner_table = Config(std::move(table));
  out.per_example = args.get_int("mined_negatives_per_example", 4, 1, 1024);
  out.exact_limit = args.get_int("mining_exact_limit", 200000, 1, std::int64_t{1} << 40);
  out.batch_tokens = args.get_int("mining_batch_tokens", 8192, 1, std::int64_t{1} << 30);
  out.embedding_model = args.get<std::string>("mining_embedding_model", "");
  if (args.has("mining_refresh_epochs")) {
    out.refresh_epochs = args.get_int("mining_refresh_epochs", 1, 1, 1000000);
  }
  return out;
}

}  // namespace wizard::cpo
