// bench_chat: what chat templating costs per training example. The fixture
// templates (Qwen3 with tools, Llama-3) are parsed once and rendered many
// times, on the fixture conversations and on one long conversation (rendering
// must stay linear in the text size).
//
//   bench_chat --benchmark_filter=Render
#include <benchmark/benchmark.h>

#include <fstream>

#include "test_support.hpp"
#include "wizard/chat/template_loader.hpp"

namespace {

using Json = nlohmann::ordered_json;

struct Fixture {
  Json cases;
  std::map<std::string, wizard::ModelChatTemplates> models;
};

const Fixture& fixture() {
  static const Fixture loaded = [] {
    Fixture f;
    std::ifstream in(wizard::test::refs_dir() / "chat_cases.json");
    f.cases = Json::parse(in).at("cases");
    for (const auto& c : f.cases) {
      const std::string name = c.at("template");
      if (f.models.count(name)) continue;
      f.models.emplace(name,
                       wizard::load_chat_templates(wizard::test::refs_dir() / "tokenizers" / name));
    }
    return f;
  }();
  return loaded;
}

// The first case of `template_name` whose conversation has tools (or any).
const Json& sample_case(const std::string& template_name) {
  const Json* chosen = nullptr;
  for (const auto& c : fixture().cases) {
    if (c.at("template") != template_name) continue;
    if (!chosen || (!c.at("tools").is_null() && chosen->at("tools").is_null())) chosen = &c;
  }
  return *chosen;
}

void Parse(benchmark::State& state, const std::string& template_name) {
  const std::string source = fixture().models.at(template_name).select().source();
  for (auto _ : state) benchmark::DoNotOptimize(wizard::ChatTemplate(source));
}

void Render(benchmark::State& state, const std::string& template_name) {
  const auto& model = fixture().models.at(template_name);
  const Json& c = sample_case(template_name);
  wizard::ChatOptions options;
  options.add_generation_prompt = true;
  options.tools = c.at("tools");
  std::size_t bytes = 0;
  for (auto _ : state) bytes += model.apply(c.at("messages"), options).size();
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void RenderLongConversation(benchmark::State& state) {
  const auto& model = fixture().models.at("qwen3");
  Json messages = Json::array();
  for (int i = 0; i < state.range(0); ++i) {
    messages.push_back(
        {{"role", i % 2 ? "assistant" : "user"}, {"content", std::string(2000, 'a' + i % 26)}});
  }
  std::size_t bytes = 0;
  for (auto _ : state) bytes += model.apply(messages).size();
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetComplexityN(state.range(0));
}

BENCHMARK_CAPTURE(Parse, qwen3, std::string("qwen3"));
BENCHMARK_CAPTURE(Render, qwen3_tools, std::string("qwen3"));
BENCHMARK_CAPTURE(Render, llama3, std::string("llama3"));
BENCHMARK(RenderLongConversation)->RangeMultiplier(4)->Range(4, 256)->Complexity();

}  // namespace

BENCHMARK_MAIN();
