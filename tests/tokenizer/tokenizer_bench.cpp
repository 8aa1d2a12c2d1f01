// bench_tokenizer: encode throughput in MB/s of the fixture tokenizers (qwen3,
// llama3) on mixed-language text, on one thread and on all cores, plus the
// split regex alone (wizard's engine vs Oniguruma, which HF tokenizers runs, and
// ICU's regex engine) that motivates the hand-written matcher. Text comes from
// the fixture strings; nothing is downloaded.
//
//   bench_tokenizer --benchmark_filter=Encode
#include <benchmark/benchmark.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <map>
#include <random>
#include <thread>

#include "base/utf8.hpp"
#include "oniguruma_reference.hpp"
#include "test_support.hpp"
#include "tokenizer/regex.hpp"
#include "wizard/tokenizer/tokenizer.hpp"

namespace {

using wizard::Tokenizer;

// Every text of tokenizer_cases.json and chat_cases.json (about 100 documents
// in English, German, Arabic, Chinese, Japanese, Russian, Hindi, Korean, code, JSON, emoji).
const std::vector<std::string>& fixture_documents() {
  static const std::vector<std::string> documents = [] {
    std::vector<std::string> out;
    const auto refs = wizard::test::refs_dir();
    const nlohmann::json tokenizer_cases = wizard::test::read_json(refs / "tokenizer_cases.json");
    const nlohmann::json chat_cases = wizard::test::read_json(refs / "chat_cases.json");
    for (const auto& c : tokenizer_cases.at("cases"))
      if (!c.at("text").get<std::string>().empty()) out.push_back(c.at("text"));
    for (const auto& c : chat_cases.at("cases"))
      if (c.contains("rendered")) out.push_back(c.at("rendered"));
    if (out.empty()) throw std::runtime_error("no fixture texts under " + refs.string());
    return out;
  }();
  return documents;
}

// Fixture documents repeated to about 4 MB: a corpus whose words recur, as in training data.
const std::vector<std::string>& repeated_corpus() {
  static const std::vector<std::string> corpus = [] {
    std::vector<std::string> out;
    std::size_t bytes = 0;
    while (bytes < (4u << 20))
      for (const std::string& doc : fixture_documents()) out.push_back(doc), bytes += doc.size();
    return out;
  }();
  return corpus;
}

// Documents of words never seen before: fixture words with their characters
// shuffled, so nearly every word misses the word cache and runs the BPE merges.
const std::vector<std::string>& novel_words_corpus() {
  static const std::vector<std::string> corpus = [] {
    std::mt19937 random(1234);
    std::vector<std::string> out;
    for (int round = 0; round < 40; ++round)
      for (const std::string& doc : fixture_documents()) {
        std::u32string text;
        for (std::size_t i = 0;
             i < doc.size();) {  // whole characters, so shuffling keeps UTF-8 valid
          const auto cp = wizard::utf8::decode(doc, i);
          text.push_back(cp.value);
          i += cp.length;
        }
        // Shuffle within each run of non-space characters.
        for (std::size_t begin = 0; begin < text.size();) {
          std::size_t end = begin;
          while (end < text.size() && text[end] != U' ' && text[end] != U'\n') ++end;
          std::shuffle(text.begin() + static_cast<long>(begin),
                       text.begin() + static_cast<long>(end), random);
          begin = end + 1;
        }
        std::string encoded;
        for (const char32_t cp : text) wizard::utf8::append(encoded, cp);
        out.push_back(encoded);
      }
    return out;
  }();
  return corpus;
}

std::size_t total_bytes(const std::vector<std::string>& docs) {
  std::size_t bytes = 0;
  for (const std::string& doc : docs) bytes += doc.size();
  return bytes;
}

const Tokenizer& fixture_tokenizer(const std::string& name) {
  static std::map<std::string, Tokenizer> loaded;
  auto it = loaded.find(name);
  if (it == loaded.end())
    it = loaded
             .emplace(name, Tokenizer::from_file(wizard::test::refs_dir() / "tokenizers" / name /
                                                 "tokenizer.json"))
             .first;
  return it->second;
}

void encode_single_thread(benchmark::State& state, const std::string& name,
                          const std::vector<std::string>& docs) {
  const Tokenizer& tok = fixture_tokenizer(name);
  std::size_t tokens = 0;
  for (auto _ : state)
    for (const std::string& doc : docs) {
      const auto ids = tok.encode(doc, false);
      tokens += ids.size();
      benchmark::DoNotOptimize(ids.data());
    }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes(docs)));
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

void encode_all_threads(benchmark::State& state, const std::string& name,
                        const std::vector<std::string>& docs) {
  const Tokenizer& tok = fixture_tokenizer(name);
  for (auto _ : state) benchmark::DoNotOptimize(tok.encode_batch(docs, false, 0).data());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes(docs)));
  state.counters["threads"] = static_cast<double>(std::thread::hardware_concurrency());
}

// The Qwen / Llama-3 split regex over the whole corpus: matches only, no BPE.
constexpr const char* kQwenPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// allow_linear false: the general backtracking VM that other patterns run on.
void split_regex_wizard(benchmark::State& state, bool allow_linear) {
  const auto regex = wizard::tokenizer::Regex::compile(kQwenPattern, allow_linear);
  const auto& docs = repeated_corpus();
  for (auto _ : state)
    for (const std::string& doc : docs) {
      std::size_t matches = 0;
      regex.for_each_match(doc, [&](std::size_t, std::size_t) { ++matches; });
      benchmark::DoNotOptimize(matches);
    }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes(docs)));
}

// Oniguruma as HF tokenizers runs it: one search per match.
void split_regex_oniguruma(benchmark::State& state) {
  const wizard::test::OnigurumaRegex regex(kQwenPattern);
  const auto& docs = repeated_corpus();
  for (auto _ : state)
    for (const std::string& doc : docs) {
      std::size_t matches = 0;
      regex.for_each_match(doc, [&](std::size_t, std::size_t) { ++matches; });
      benchmark::DoNotOptimize(matches);
    }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes(docs)));
}

// ICU matches UTF-16, so each document is converted first (part of the cost, as it would be in
// use).
void split_regex_icu(benchmark::State& state) {
  UErrorCode status = U_ZERO_ERROR;
  icu::RegexMatcher matcher(icu::UnicodeString::fromUTF8(kQwenPattern), 0, status);
  if (U_FAILURE(status)) {
    state.SkipWithError("ICU rejected the pattern");
    return;
  }
  const auto& docs = repeated_corpus();
  for (auto _ : state)
    for (const std::string& doc : docs) {
      const icu::UnicodeString text = icu::UnicodeString::fromUTF8(doc);
      matcher.reset(text);
      std::size_t matches = 0;
      while (matcher.find()) ++matches;
      benchmark::DoNotOptimize(matches);
    }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes(docs)));
}

void load(benchmark::State& state, const std::string& name) {
  for (auto _ : state)
    benchmark::DoNotOptimize(
        Tokenizer::from_file(wizard::test::refs_dir() / "tokenizers" / name / "tokenizer.json"));
}

const bool registered = [] {
  using Corpus = const std::vector<std::string>& (*)();
  const std::pair<const char*, Corpus> corpora[] = {{"mixed", repeated_corpus},
                                                    {"novel_words", novel_words_corpus}};
  for (const std::string name : {"qwen3", "llama3"}) {
    for (const auto& [label, corpus] : corpora) {
      const std::string prefix = "Encode/" + name + "/" + label;
      benchmark::RegisterBenchmark((prefix + "/1_thread").c_str(), [name, corpus = corpus](
                                                                       benchmark::State& s) {
        encode_single_thread(s, name, corpus());
      })->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(
          (prefix + "/all_threads").c_str(),
          [name, corpus = corpus](benchmark::State& s) { encode_all_threads(s, name, corpus()); })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
    benchmark::RegisterBenchmark(("Load/" + name).c_str(),
                                 [name](benchmark::State& s) { load(s, name); })
        ->Unit(benchmark::kMillisecond)
        ->Iterations(2);
  }
  benchmark::RegisterBenchmark("SplitRegex/wizard_linear", [](benchmark::State& s) {
    split_regex_wizard(s, true);
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("SplitRegex/wizard_vm", [](benchmark::State& s) {
    split_regex_wizard(s, false);
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("SplitRegex/oniguruma", split_regex_oniguruma)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("SplitRegex/icu", split_regex_icu)->Unit(benchmark::kMillisecond);
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
