#include "hard_negative_mining.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "digest.hpp"
#include "rank_zero_file.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/train/progress.hpp"

namespace wizard::cpo {

namespace fs = std::filesystem;

namespace {

std::vector<std::int32_t> answer_of(const TokenizedPreference& pair) {
  return {pair.chosen_input_ids.begin() + static_cast<std::ptrdiff_t>(pair.chosen_prompt_length),
          pair.chosen_input_ids.end()};
}

// What the mined negatives depend on.
std::string fingerprint(const std::vector<TokenizedPreference>& pairs,
                        const MiningSettings& settings, const MiningContext& context) {
  Digest digest;
  digest.feed_model_files(context.model_dir);
  if (!context.embedding_model_dir.empty()) digest.feed_model_files(context.embedding_model_dir);
  digest.feed(c10::toString(context.model->dtype()));
  digest.feed(settings.strategy);
  for (const auto& key : settings.miner_table.keys()) {  // the miner's options
    const ConfigValue& value = *settings.miner_table.find(key);
    digest.feed(key);
    if (value.is(ConfigValue::Kind::Bool)) digest.feed_value(value.as_bool());
    if (value.is(ConfigValue::Kind::Integer)) digest.feed_value(value.as_integer());
    if (value.is(ConfigValue::Kind::Float)) digest.feed_value(value.as_float());
    if (value.is(ConfigValue::Kind::String)) digest.feed(value.as_string());
  }
  digest.feed_value(context.epoch);
  digest.feed_value(settings.per_example);
  digest.feed_value(settings.exact_limit);
  digest.feed_value(context.max_length);
  for (const auto& pair : pairs) {
    digest.feed_sequence({&pair.chosen_input_ids, pair.chosen_prompt_length});
  }
  return digest.hex();
}

// Per example: the examples whose chosen answers are its mined negatives, read from an
// earlier run's file when its fingerprint matches (empty otherwise).
std::vector<std::vector<std::int64_t>> read_mined(const fs::path& file, const std::string& key,
                                                  std::size_t examples) {
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) return {};
  try {
    if (nlohmann::json::parse(line).value("fingerprint", "") != key) return {};
    std::vector<std::vector<std::int64_t>> out(examples);
    std::size_t lines = 0;
    while (std::getline(in, line)) {
      const nlohmann::json row = nlohmann::json::parse(line);
      const std::size_t example = row.at("example").get<std::size_t>();
      if (example >= examples) return {};
      out[example] = row.at("from_examples").get<std::vector<std::int64_t>>();
      ++lines;
    }
    return lines == examples ? out : std::vector<std::vector<std::int64_t>>{};
  } catch (const nlohmann::json::exception&) {
    return {};  // damaged: mined again
  }
}

void write_mined(const fs::path& file, const std::string& key, const std::string& score_name,
                 const std::vector<TokenizedPreference>& pairs,
                 const std::vector<std::vector<MinedNegative>>& mined, const Tokenizer& tokenizer) {
  const fs::path staging = file.string() + ".partial";
  {
    std::ofstream out(staging);
    out << nlohmann::json{{"fingerprint", key}, {"examples", pairs.size()}}.dump() << "\n";
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      nlohmann::json texts = nlohmann::json::array(), scores = nlohmann::json::array(),
                     sources = nlohmann::json::array();
      for (const MinedNegative& negative : mined[i]) {
        texts.push_back(
            tokenizer.decode(answer_of(pairs[static_cast<std::size_t>(negative.example)]), true));
        scores.push_back(negative.score);
        sources.push_back(negative.example);
      }
      out << nlohmann::json{{"example", i},
                            {"source_row", pairs[i].source_row},
                            {"negatives", texts},
                            {score_name, scores},
                            {"from_examples", sources}}
                 .dump()
          << "\n";
    }
    if (!out) throw Error("could not write " + staging.string());
  }
  fs::rename(staging, file);
}

std::string file_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// mining_embedding_model, loaded, and the chosen sequences in its tokens (none when its
// tokenizer is the policy's).
struct EmbeddingModel {
  std::unique_ptr<model::CausalLM> model;
  std::vector<std::vector<std::int32_t>> ids;
  std::vector<MiningSequence> chosen;
};

std::unique_ptr<EmbeddingModel> load_embedding_model(const std::vector<TokenizedPreference>& pairs,
                                                     const MiningContext& context) {
  if (context.embedding_model_dir.empty()) return nullptr;
  auto out = std::make_unique<EmbeddingModel>();
  out->model = std::make_unique<model::CausalLM>(model::CausalLM::from_pretrained(
      context.embedding_model_dir, context.model->dtype(), context.model->device()));
  const fs::path own = context.embedding_model_dir / "tokenizer.json";
  if (file_text(own) == file_text(context.model_dir / "tokenizer.json")) {
    logger()->info("hard negatives: {} embeds the answers (the policy's tokenizer)",
                   context.embedding_model_dir.string());
    return out;
  }
  const Tokenizer tokenizer = Tokenizer::from_pretrained(context.embedding_model_dir);
  out->ids.reserve(pairs.size());
  for (const auto& pair : pairs) {
    const auto& ids = pair.chosen_input_ids;
    const auto cut = ids.begin() + static_cast<std::ptrdiff_t>(pair.chosen_prompt_length);
    std::vector<std::int32_t> sequence =
        tokenizer.encode(context.tokenizer->decode({ids.begin(), cut}, true), false);
    const std::size_t prompt_length = sequence.size();
    const auto answer = tokenizer.encode(context.tokenizer->decode({cut, ids.end()}, true), false);
    sequence.insert(sequence.end(), answer.begin(), answer.end());
    out->ids.push_back(std::move(sequence));
    out->chosen.push_back({nullptr, prompt_length});
  }
  for (std::size_t i = 0; i < pairs.size(); ++i) out->chosen[i].ids = &out->ids[i];
  logger()->info("hard negatives: {} embeds the answers (its own tokenizer: the texts re-encoded)",
                 context.embedding_model_dir.string());
  return out;
}

}  // namespace

std::string mined_file_name(std::int64_t epoch) {
  return epoch == 0 ? "mined_negatives.jsonl"
                    : "mined_negatives-epoch-" + std::to_string(epoch) + ".jsonl";
}

MinedSources mine_or_reuse(const std::vector<TokenizedPreference>& pairs,
                           const NegativeMiner& miner, const MiningSettings& settings,
                           const MiningContext& context) {
  const std::string key = fingerprint(pairs, settings, context);
  const fs::path file = context.output_dir / mined_file_name(context.epoch);
  std::vector<std::vector<std::int64_t>> sources = read_mined(file, key, pairs.size());
  // Data parallel: all ranks mine when any lacks the file (they all read the same one).
  bool mine = sources.empty();
  if (context.group) {
    mine = context.group->all_reduce({mine ? 1.0 : 0.0}, distributed::Reduction::max)[0] > 0;
  }
  const bool main_rank = !context.group || context.group->rank() == 0;
  if (!mine) {
    logger()->info("hard negatives: reusing {} (same data, model and settings)", file.string());
  } else {
    MiningInput input;
    input.model = context.model;
    std::map<std::vector<std::int32_t>, std::int64_t> ids;
    for (const auto& pair : pairs) {
      input.chosen.push_back({&pair.chosen_input_ids, pair.chosen_prompt_length});
      input.answer_ids.push_back(
          ids.emplace(answer_of(pair), static_cast<std::int64_t>(ids.size())).first->second);
    }
    const std::unique_ptr<EmbeddingModel> embedding = load_embedding_model(pairs, context);
    if (embedding) {
      input.embedding_model = embedding->model.get();
      input.embedding_chosen = embedding->chosen;
    }
    input.per_example = settings.per_example;
    input.exact_limit = settings.exact_limit;
    input.max_tokens = settings.batch_tokens;
    const fs::path scratch = context.output_dir / "cache" / ("mining-" + key);
    input.scratch = scratch;
    if (context.group) {
      input.rank = context.group->rank();
      input.world_size = context.group->size();
      input.all_gather = [group = context.group](const at::Tensor& tensor) {
        return group->all_gather(tensor.to(group->options().device));
      };
    }
    std::string stage;
    std::unique_ptr<train::ProgressDisplay> display;
    input.progress = [&](const std::string& now, std::int64_t done, std::int64_t total) {
      if (now != stage || !display) {
        if (display) display->finish();
        logger()->info("hard negatives: {} ({}{})", now, total,
                       input.world_size > 1 ? ", this rank's share" : "");
        display = std::make_unique<train::ProgressDisplay>(
            total, 0,
            main_rank ? train::ProgressDisplay::Mode::automatic
                      : train::ProgressDisplay::Mode::off);
        stage = now;
      }
      display->update(done, now);
    };
    const auto mined = miner.mine(input);
    if (display) display->finish();
    if (main_rank) {
      if (mined.size() != pairs.size()) {
        throw Error("the hard-negative miner '" + settings.strategy + "' returned " +
                    std::to_string(mined.size()) + " lists for " + std::to_string(pairs.size()) +
                    " examples");
      }
      logger()->info("hard negatives ({}): {}", settings.strategy, miner.describe_last_run());
      write_mined(file, key, settings.strategy == "semantic_search" ? "similarity" : "score", pairs,
                  mined, *context.tokenizer);
      fs::remove_all(scratch);
      sources.assign(pairs.size(), {});
      for (std::size_t i = 0; i < pairs.size(); ++i) {
        for (const auto& negative : mined[i]) sources[i].push_back(negative.example);
      }
    } else {
      // Rank 0's result is the one used: the file it writes.
      wait_for_rank_zero([&] { return !(sources = read_mined(file, key, pairs.size())).empty(); },
                         context.wait, "the mined negatives to " + file.string());
    }
  }
  return sources;
}

std::int64_t set_mined_negatives(std::vector<TokenizedPreference>& pairs,
                                 const MinedSources& sources, std::int64_t max_length) {
  if (sources.size() != pairs.size()) {
    throw Error("mined negatives for " + std::to_string(sources.size()) +
                " examples, but the run has " + std::to_string(pairs.size()));
  }
  // Each as a negative of its example (instead of an earlier mining's): the example's prompt,
  // then the other answer.
  std::int64_t added = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    TokenizedPreference& pair = pairs[i];
    auto& negatives = pair.more_negatives;
    negatives.erase(std::remove_if(negatives.begin(), negatives.end(),
                                   [](const TokenizedNegative& negative) {
                                     return negative.source == NegativeSource::mined;
                                   }),
                    negatives.end());
    for (const std::int64_t source : sources[i]) {
      if (source < 0 || static_cast<std::size_t>(source) >= pairs.size()) {
        throw Error("mined negatives: example " + std::to_string(i) + " names example " +
                    std::to_string(source) + ", which does not exist");
      }
      TokenizedNegative negative;
      negative.prompt_length = pair.chosen_prompt_length;
      negative.source = NegativeSource::mined;
      negative.input_ids.assign(
          pair.chosen_input_ids.begin(),
          pair.chosen_input_ids.begin() + static_cast<std::ptrdiff_t>(pair.chosen_prompt_length));
      const auto answer = answer_of(pairs[static_cast<std::size_t>(source)]);
      const std::int64_t room = max_length - static_cast<std::int64_t>(negative.input_ids.size());
      const std::size_t keep = std::min<std::size_t>(
          answer.size(), static_cast<std::size_t>(std::max<std::int64_t>(room, 1)));
      negative.input_ids.insert(negative.input_ids.end(), answer.begin(),
                                answer.begin() + static_cast<std::ptrdiff_t>(keep));
      if (negative.input_ids == pair.chosen_input_ids) continue;  // an equal answer after cutting
      pair.more_negatives.push_back(std::move(negative));
      ++added;
    }
  }
  return added;
}

}  // namespace wizard::cpo
