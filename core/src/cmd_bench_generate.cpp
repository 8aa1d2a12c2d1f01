// `wizard bench-generate MODEL`: tokens/s of KV-cache generation, prompt processing and
// decoding apart, for a few batch sizes (scripts/bench_generate.sh runs transformers'
// generate() on the same model right after, for the ratio; docs/performance.md).
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "wizard/base/error.hpp"
#include "wizard/model/generate.hpp"
#include "wizard/model/hub.hpp"

namespace wizard::core {

namespace {

std::vector<std::int64_t> batch_sizes(const std::string& text) {
  std::vector<std::int64_t> sizes;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      sizes.push_back(std::stoll(item));
    } catch (const std::exception&) {
      throw UsageError("--batch " + text + ": expected sizes separated by commas, e.g. 1,16");
    }
    if (sizes.back() < 1) throw UsageError("--batch sizes must be at least 1");
  }
  if (sizes.empty()) throw UsageError("--batch needs at least one size");
  return sizes;
}

int execute_bench_generate(const po::variables_map& vm) {
  const auto prompt_length = vm["prompt-length"].as<std::int64_t>();
  const auto new_tokens = vm["new-tokens"].as<std::int64_t>();
  const auto repeats = vm["repeats"].as<std::int64_t>();
  if (prompt_length < 1 || new_tokens < 2 || repeats < 1) {
    throw UsageError("--prompt-length >= 1, --new-tokens >= 2 and --repeats >= 1 are needed");
  }
  if (vm.count("threads")) at::set_num_threads(static_cast<int>(vm["threads"].as<std::int64_t>()));
  const auto dir = hub::resolve_model(vm["model"].as<std::string>());
  const at::ScalarType dtype = model::dtype_from_name(vm["dtype"].as<std::string>());
  const model::CausalLM model = model::CausalLM::from_pretrained(dir, dtype);
  std::printf("wizard, %d threads, %s, %s\n", at::get_num_threads(),
              vm["dtype"].as<std::string>().c_str(), dir.string().c_str());

  model::GenerationConfig config;  // greedy, exactly new_tokens tokens: no EOS
  config.max_new_tokens = new_tokens;
  at::Generator generator = at::globalContext().defaultGenerator(at::kCPU).clone();
  generator.set_current_seed(static_cast<std::uint64_t>(vm["seed"].as<std::int64_t>()));
  const std::int64_t high = std::min<std::int64_t>(model.config().vocab_size, 32000);
  for (const std::int64_t batch : batch_sizes(vm["batch"].as<std::string>())) {
    const at::Tensor ids = at::randint(3, high, {batch, prompt_length}, generator, at::kLong);
    std::vector<std::vector<int32_t>> prompts(static_cast<std::size_t>(batch));
    for (std::int64_t r = 0; r < batch; ++r) {
      const at::Tensor row = ids[r].to(at::kInt).contiguous();
      prompts[static_cast<std::size_t>(r)].assign(row.data_ptr<int32_t>(),
                                                  row.data_ptr<int32_t>() + prompt_length);
    }
    // As the transformers side measures: the prompt's time is a 1-token run's, decoding the
    // rest of an N-token run's; the best of the repeats, wall and processor time.
    const auto timed = [&](std::int64_t tokens) {
      model::GenerationConfig run = config;
      run.max_new_tokens = tokens;
      const std::clock_t cpu = std::clock();
      const auto started = std::chrono::steady_clock::now();
      model::generate(model, prompts, run);
      return std::make_pair(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
          static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC);
    };
    timed(2);  // warm-up
    std::pair<double, double> prefill{1e300, 1e300}, full{1e300, 1e300};
    for (std::int64_t i = 0; i < repeats; ++i) {
      const auto one = timed(1);
      prefill = {std::min(prefill.first, one.first), std::min(prefill.second, one.second)};
      const auto all = timed(new_tokens);
      full = {std::min(full.first, all.first), std::min(full.second, all.second)};
    }
    const double decode = std::max(full.first - prefill.first, 1e-9);
    const double decode_cpu = std::max(full.second - prefill.second, 0.0);
    const double steps = static_cast<double>(new_tokens - 1);
    std::printf(
        "wizard batch %lld: prompt %.1f tokens/s (%.3f s for %lld x %lld tokens and the first new "
        "one), decode %.2f tokens/s (%.1f ms per step, %.1f ms processor time)\n",
        static_cast<long long>(batch), batch * prompt_length / prefill.first, prefill.first,
        static_cast<long long>(batch), static_cast<long long>(prompt_length),
        batch * steps / decode, decode / steps * 1000, decode_cpu / steps * 1000);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

Command bench_generate_command() {
  Command command;
  command.name = "bench-generate";
  command.synopsis = "bench-generate MODEL [--batch 1,16] [--prompt-length N] [--new-tokens N]";
  command.summary = "time KV-cache generation: prompt and decode tokens/s";
  command.details =
      "Greedy decoding of exactly --new-tokens tokens after random prompts of --prompt-length\n"
      "tokens, for each batch size; the best of --repeats runs after a warm-up. Prompt\n"
      "processing (the prompts' forward pass and the first new token) is timed apart from\n"
      "decoding (every later step): the time of a 1-token run, and the time of a 1-token run and "
      "the rest of an N-token\n"
      "run's. scripts/bench_generate.sh runs transformers' generate()\n"
      "with the same settings right after; docs/performance.md has the results.\n";
  command.declare = [](po::options_description& options, po::positional_options_description& p) {
    options.add_options()("model", po::value<std::string>()->required(), "a model folder")(
        "batch", po::value<std::string>()->default_value("1,16"), "batch sizes, comma-separated")(
        "prompt-length", po::value<std::int64_t>()->default_value(128), "prompt tokens per row")(
        "new-tokens", po::value<std::int64_t>()->default_value(32), "new tokens per row")(
        "dtype", po::value<std::string>()->default_value("bfloat16"), "float32 or bfloat16")(
        "threads", po::value<std::int64_t>(), "intra-op threads (default: every core)")(
        "repeats", po::value<std::int64_t>()->default_value(2), "timed runs per batch size")(
        "seed", po::value<std::int64_t>()->default_value(0), "seed of the random prompts");
    declare_log_option(options);
    p.add("model", 1);
  };
  command.execute = execute_bench_generate;
  return command;
}

}  // namespace wizard::core
