// Out-of-line destructors: each interface's vtable and typeinfo live once, in
// libwizard_sdk.so, shared by the host and every plugin.
#include "wizard/base/error.hpp"
#include "wizard/plugin/datasource.hpp"
#include "wizard/plugin/loss.hpp"
#include "wizard/plugin/negative_miner.hpp"
#include "wizard/plugin/negative_sampler.hpp"
#include "wizard/plugin/recipe.hpp"
#include "wizard/plugin/recipe_bench.hpp"
#include "wizard/plugin/sampler.hpp"

namespace wizard {

Plugin::~Plugin() = default;
PluginHost::~PluginHost() = default;
Recipe::~Recipe() = default;
RecipeBench::~RecipeBench() = default;

std::optional<BenchMemory> RecipeBench::memory() const {
  return std::nullopt;
}
DataSource::~DataSource() = default;
Sampler::~Sampler() = default;
Loss::~Loss() = default;
NegativeSampler::~NegativeSampler() = default;
NegativeMiner::~NegativeMiner() = default;

std::unique_ptr<RecipeBench> Recipe::prepare_bench(const std::filesystem::path&) {
  throw UsageError(
      "this recipe has no training step to benchmark (wizard bench times recipes "
      "that train, such as cpo)");
}

const char* kind_name(PluginKind kind) {
  switch (kind) {
    case PluginKind::Recipe:
      return "recipe";
    case PluginKind::DataSource:
      return "datasource";
    case PluginKind::Sampler:
      return "sampler";
    case PluginKind::Loss:
      return "loss";
    case PluginKind::NegativeSampler:
      return "negative_sampler";
    case PluginKind::NegativeMiner:
      return "negative_miner";
  }
  return "unknown";
}

// Must match the sections named in wizard/plugin/export.hpp.
const char* kind_section(PluginKind kind) {
  switch (kind) {
    case PluginKind::Recipe:
      return "wzrecipe";
    case PluginKind::DataSource:
      return "wzdatsrc";
    case PluginKind::Sampler:
      return "wzsamplr";
    case PluginKind::Loss:
      return "wzloss";
    case PluginKind::NegativeSampler:
      return "wznegsam";
    case PluginKind::NegativeMiner:
      return "wzminer";
  }
  return "";
}

}  // namespace wizard
