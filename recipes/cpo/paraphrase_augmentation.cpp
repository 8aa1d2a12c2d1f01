#include "paraphrase_augmentation.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include "digest.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"
#include "wizard/generation/prompt.hpp"
#include "wizard/generation/text_generation.hpp"
#include "wizard/model/generate.hpp"
#include "wizard/train/progress.hpp"

namespace wizard::cpo {

namespace fs = std::filesystem;

namespace {

const char* kCacheFile = "paraphrases.jsonl";

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

// The text of a prompt that can be paraphrased: a string, or a conversation's last user
// message with string content (null otherwise).
std::string* paraphrasable(Row& prompt) {
  if (prompt.is_string()) return prompt.get_ptr<std::string*>();
  if (!prompt.is_array()) return nullptr;
  for (auto it = prompt.rbegin(); it != prompt.rend(); ++it) {
    if (it->is_object() && it->value("role", "") == "user" && it->contains("content") &&
        (*it)["content"].is_string()) {
      return (*it)["content"].get_ptr<std::string*>();
    }
  }
  return nullptr;
}

struct Request {
  std::size_t row = 0;
  std::string text;  // what is paraphrased
};

struct CachedLine {
  std::string paraphrase;
  bool kept = false;
  std::string dropped;
};

std::string fingerprint(const std::vector<Request>& requests, const ParaphraseSampling& sampling,
                        const ParaphraseContext& context) {
  Digest digest;
  digest.feed_model_files(context.model_dir);
  digest.feed(c10::toString(context.dtype));
  digest.feed(context.chat_template_kwargs.dump());
  digest.feed_value(context.seed);
  digest.feed_value(sampling.temperature);
  digest.feed_value(sampling.top_p);
  digest.feed_value(sampling.top_k);
  digest.feed_value(sampling.max_new_tokens);
  digest.feed_value(sampling.batch_size);
  for (const Request& request : requests) {
    digest.feed_value(request.row);
    digest.feed(request.text);
  }
  return digest.hex();
}

// The complete batches of an earlier run with the same fingerprint (empty otherwise); the
// file is rewritten with just those, so new batches are appended after them.
std::map<std::size_t, CachedLine> read_cache(const fs::path& file, const std::string& key,
                                             const std::vector<Request>& requests,
                                             std::int64_t batch_size) {
  std::map<std::size_t, CachedLine> lines;  // by request index
  std::ifstream in(file);
  std::string text;
  if (!in || !std::getline(in, text)) return {};
  try {
    if (nlohmann::json::parse(text).value("fingerprint", "") != key) return {};
  } catch (const nlohmann::json::exception&) {
    return {};
  }
  std::map<std::int64_t, std::int64_t> per_batch;
  while (std::getline(in, text)) {
    try {
      const nlohmann::json line = nlohmann::json::parse(text);
      const std::size_t index = line.at("request").get<std::size_t>();
      if (index >= requests.size() || line.at("row").get<std::size_t>() != requests[index].row) {
        return {};
      }
      lines[index] = {line.at("paraphrase").get<std::string>(), line.at("kept").get<bool>(),
                      line.value("dropped", "")};
      ++per_batch[static_cast<std::int64_t>(index) / batch_size];
    } catch (const nlohmann::json::exception&) {
      break;  // a line cut by a kill: its batch is generated again
    }
  }
  for (auto it = lines.begin(); it != lines.end();) {
    const std::int64_t batch = static_cast<std::int64_t>(it->first) / batch_size;
    const std::int64_t size = std::min<std::int64_t>(
        batch_size, static_cast<std::int64_t>(requests.size()) - batch * batch_size);
    it = per_batch[batch] == size ? std::next(it) : lines.erase(it);
  }
  return lines;
}

nlohmann::json cache_line(std::size_t index, const Request& request, std::int64_t batch,
                          const CachedLine& line) {
  nlohmann::json out = {{"request", index},
                        {"row", request.row},
                        {"batch", batch},
                        {"paraphrase", line.paraphrase},
                        {"kept", line.kept}};
  if (!line.kept) out["dropped"] = line.dropped;
  return out;
}

CachedLine judged(const std::string& paraphrase, const std::string& original) {
  const std::string reason = paraphrase_drop_reason(paraphrase, original);
  return {trimmed(paraphrase), reason.empty(), reason};
}

}  // namespace

std::string paraphrase_drop_reason(const std::string& paraphrase, const std::string& prompt) {
  const std::string text = trimmed(paraphrase);
  if (text.empty()) return "empty";
  if (text == trimmed(prompt)) return "same as the prompt";
  return "";
}

std::string paraphrase_request(const std::string& text, const ModelChatTemplates& templates) {
  if (templates.builtin) {
    return "Paraphrase the following text. Keep its meaning.\nText: " + text + "\nParaphrase:";
  }
  Row messages = Row::array();
  messages.push_back({{"role", "user"},
                      {"content",
                       "Paraphrase the following text. Keep its meaning, its language and every "
                       "detail it gives; reply with the paraphrase only.\n\n" +
                           text}});
  return generation::prompt_text(messages, templates);
}

ParaphraseCounts add_paraphrased_rows(Dataset& rows, double ratio,
                                      const ParaphraseSampling& sampling,
                                      const ParaphraseContext& context) {
  std::vector<Request> requests;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!augments_row(context.seed, i, ratio)) continue;
    Row& row = rows.row(i);
    if (!row.contains(context.prompt_column)) continue;  // the tokenizer reports such rows
    if (const std::string* text = paraphrasable(row[context.prompt_column])) {
      requests.push_back({i, *text});
    }
  }
  ParaphraseCounts counts;
  counts.selected = static_cast<std::int64_t>(requests.size());
  if (requests.empty()) return counts;

  const std::string key = fingerprint(requests, sampling, context);
  const fs::path file = context.output_dir / "cache" / kCacheFile;
  std::map<std::size_t, CachedLine> done = read_cache(file, key, requests, sampling.batch_size);
  fs::create_directories(file.parent_path());
  {  // the header and the complete batches kept, then new batches appended
    std::ofstream out(file, std::ios::trunc);
    out << nlohmann::json{{"fingerprint", key}, {"requests", requests.size()}}.dump() << "\n";
    for (const auto& [index, line] : done) {
      out << cache_line(index, requests[index],
                        static_cast<std::int64_t>(index) / sampling.batch_size, line)
                 .dump()
          << "\n";
    }
    if (!out) throw Error("could not write " + file.string());
  }

  if (done.size() < requests.size()) {
    std::unique_ptr<model::CausalLM> loaded;
    if (!context.model) {
      loaded = std::make_unique<model::CausalLM>(
          model::CausalLM::from_pretrained(context.model_dir, context.dtype, context.device));
    }
    const model::CausalLM* model = context.model ? context.model : loaded.get();
    const Tokenizer tokenizer = Tokenizer::from_pretrained(context.model_dir);
    ModelChatTemplates templates = load_chat_templates(context.model_dir);
    templates.default_template_kwargs = context.chat_template_kwargs;
    if (!templates.builtin && !templates.default_template_kwargs.contains("enable_thinking") &&
        templates.select().source().find("enable_thinking") != std::string::npos) {
      templates.default_template_kwargs["enable_thinking"] = false;
    }
    model::GenerationConfig config = model::GenerationConfig::from_model(*model);
    if (config.eos_token_ids.empty()) {
      if (auto eos = tokenizer.eos_token_id()) config.eos_token_ids = {*eos};
    }
    config.do_sample = true;
    config.temperature = sampling.temperature;
    config.top_p = sampling.top_p;
    config.top_k = sampling.top_k;
    config.min_p = 0;
    config.repetition_penalty = 1.0;
    config.min_new_tokens = 0;
    config.max_length.reset();
    config.stop_strings =
        templates.builtin ? std::vector<std::string>{"\n"} : std::vector<std::string>{};
    const std::int64_t batches =
        (static_cast<std::int64_t>(requests.size()) + sampling.batch_size - 1) /
        sampling.batch_size;
    logger()->info("augmentation (paraphrase): {} prompts to paraphrase with {} ({} already in {})",
                   requests.size() - done.size(), context.model_dir.string(), done.size(),
                   file.string());
    train::ProgressDisplay display(static_cast<std::int64_t>(requests.size()), 0);
    std::ofstream out(file, std::ios::app);
    for (std::int64_t batch = 0; batch < batches; ++batch) {
      const std::size_t begin = static_cast<std::size_t>(batch * sampling.batch_size);
      const std::size_t end =
          std::min(requests.size(), begin + static_cast<std::size_t>(sampling.batch_size));
      if (done.count(begin)) continue;  // a complete batch from the cache
      std::vector<std::string> texts;
      std::int64_t longest = 0;
      for (std::size_t i = begin; i < end; ++i) {
        texts.push_back(paraphrase_request(requests[i].text, templates));
        longest = std::max<std::int64_t>(
            longest, static_cast<std::int64_t>(tokenizer.encode(requests[i].text, false).size()));
      }
      config.max_new_tokens = std::min(sampling.max_new_tokens, 2 * longest + 16);
      config.seed =
          augmentation_mix(context.seed ^ 0x7061726170687261ULL, static_cast<std::uint64_t>(batch));
      const auto answers = generation::generate_text(*model, tokenizer, texts, config);
      for (std::size_t i = begin; i < end; ++i) {
        std::string text = answers[i - begin].text;
        for (const auto& stop : config.stop_strings) {  // stop strings stay in the answer
          const auto at = text.find(stop);
          if (at != std::string::npos) text.resize(at);
        }
        done[i] = judged(text, requests[i].text);
        out << cache_line(i, requests[i], batch, done[i]).dump() << "\n";
      }
      out.flush();
      if (!out) throw Error("could not write " + file.string());
      counts.generated += static_cast<std::int64_t>(end - begin);
      display.update(static_cast<std::int64_t>(end), "paraphrasing");
    }
    display.finish();
  }

  // The extra rows, in the order of the rows they copy.
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const CachedLine& line = done.at(i);
    if (!line.kept) {
      (line.dropped == "empty" ? counts.empty : counts.same) += 1;
      continue;
    }
    Row copy = rows.row(requests[i].row);
    *paraphrasable(copy[context.prompt_column]) = line.paraphrase;
    const RowOrigin origin = rows.origin(requests[i].row);
    rows.append(std::move(copy), origin);
    ++counts.added;
  }
  return counts;
}

}  // namespace wizard::cpo
