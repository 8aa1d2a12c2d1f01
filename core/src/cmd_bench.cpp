// `wizard bench CONFIG`: times the recipe's training step on the config's model and data
// (or generated data), and prints non-padding tokens/s, step time, peak RSS and model FLOP
// utilisation against this machine's bfloat16 matrix product rate, measured in the same
// command; with --baseline also the recipe's baseline step, side by side; with --memory the
// bytes held by kind.
#include <unistd.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "bench_measure.hpp"
#include "cli.hpp"
#include "session.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/log.hpp"

namespace wizard::core {

namespace fs = std::filesystem;

namespace {

struct LengthRange {
  std::int64_t min = 0, max = 0;
};

LengthRange parse_range(const po::variables_map& vm, const std::string& option) {
  const std::string text = vm[option].as<std::string>();
  const auto colon = text.find(':');
  LengthRange range;
  try {
    std::size_t used_min = 0, used_max = 0;
    if (colon == std::string::npos) throw std::invalid_argument(text);
    range.min = std::stoll(text.substr(0, colon), &used_min);
    range.max = std::stoll(text.substr(colon + 1), &used_max);
    if (used_min != colon || used_max != text.size() - colon - 1) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw UsageError("--" + option + " " + text + ": expected MIN:MAX in tokens, e.g. 64:256");
  }
  if (range.min < 1 || range.max < range.min) {
    throw UsageError("--" + option + " " + text + ": needs 1 <= MIN <= MAX");
  }
  return range;
}

std::string toml_range(const LengthRange& range) {
  return "[" + std::to_string(range.min) + ", " + std::to_string(range.max) + "]";
}

// --synthetic: dataset_spec becomes generated random text (one token per character with a
// byte-level tokenizer such as init-model's), before the user's own --set overrides.
std::vector<std::string> synthetic_overrides(const po::variables_map& vm) {
  const bool synthetic = vm.count("synthetic") > 0;
  for (const char* option : {"prompt-length", "answer-length", "rows", "negatives"}) {
    if (!synthetic && !vm[option].defaulted()) {
      throw UsageError(std::string("--") + option + " describes generated data: add --synthetic");
    }
  }
  if (!synthetic) return {};
  const std::int64_t rows = vm["rows"].as<std::int64_t>();
  if (rows < 1) throw UsageError("--rows must be at least 1");
  const std::int64_t negatives = vm["negatives"].as<std::int64_t>();
  if (negatives < 1 || negatives > 65) throw UsageError("--negatives must be between 1 and 65");
  std::vector<std::string> overrides = {
      "dataset_spec={spec_class = \"synthetic\", task = \"random_text\", rows = " +
      std::to_string(rows) + ", prompt_length = " + toml_range(parse_range(vm, "prompt-length")) +
      ", answer_length = " + toml_range(parse_range(vm, "answer-length")) +
      ", negatives = " + std::to_string(negatives - 1) + "}"};
  // Each prompt's K answers are its rejected one and K - 1 more: the cpo recipe scores them all.
  if (negatives > 1) {
    overrides.push_back("training_args_spec.num_negatives=" + std::to_string(negatives));
  }
  return overrides;
}

// A folder for the trainer's files, new and this process's alone (mkdtemp; the trainer also
// locks the run folders it makes in it), removed at the end.
class ScratchDir {
 public:
  ScratchDir() : path_(make()) {}
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  static fs::path make() {
    std::string pattern = (fs::temp_directory_path() / "wizard-bench-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) {
      throw Error("cannot create a scratch folder in " + fs::temp_directory_path().string() + " (" +
                  std::strerror(errno) + "); set TMPDIR to a writable folder");
    }
    return pattern;
  }
  fs::path path_;
};

struct ModeResult {
  BenchMode mode;
  std::string description;
  StepStats stats;
  std::optional<std::int64_t> peak_rss;  // unset when the count could not be restarted
  std::int64_t start_rss = 0;            // resident when the mode started
  std::optional<BenchMemory> memory;     // with --memory, where the recipe accounts for it
};

std::string gib(std::int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f GiB", static_cast<double>(bytes) / (1 << 30));
  return text;
}

std::string fixed(double value, int decimals) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// At least `decimals` decimals and at least three significant digits (a tiny model's FLOP
// rate is a few GFLOP/s: 0.000412 TFLOP/s, not 0.000).
std::string significant(double value, int decimals) {
  if (value > 0 && std::isfinite(value)) {
    decimals = std::max(decimals, 2 - static_cast<int>(std::floor(std::log10(value))));
  }
  return fixed(value, decimals);
}

void print_mode(const ModeResult& r, double gemm_rate, std::int64_t warmup) {
  const StepStats& s = r.stats;
  std::cout << "\n"
            << (r.mode == BenchMode::baseline ? "baseline" : "wizard") << ": " << r.description
            << "\n"
            << "  non-padding tokens/s  " << fixed(s.tokens_per_second(), 1) << "  (" << s.tokens
            << " tokens of " << s.examples << " pairs in " << fixed(s.seconds, 2) << " s; "
            << s.steps << " steps after " << warmup << " warm-up)\n"
            << "  step time             " << fixed(s.mean, 3) << " s mean, " << fixed(s.sd, 3)
            << " s sd, " << fixed(s.min, 3) << " to " << fixed(s.max, 3) << " s\n"
            << "    of which            forward " << fixed(s.forward, 3) << " s, backward "
            << fixed(s.backward, 3) << " s, optimizer " << fixed(s.optimizer, 3) << " s\n"
            << "  processor time        " << fixed(s.cpu_seconds / s.seconds, 2)
            << " cores busy on average, " << fixed(100 * s.kernel_seconds / s.cpu_seconds, 1)
            << "% of it in the kernel; " << s.page_faults / std::max<std::int64_t>(s.steps, 1)
            << " page faults per step\n"
            << "  peak RSS              "
            << (r.peak_rss ? gib(*r.peak_rss) : "not measured (/proc/self/clear_refs refused)")
            << "\n"
            << "  model FLOP/s          " << significant(s.flops_per_second() / 1e12, 3)
            << " TFLOP/s = " << significant(100 * s.flops_per_second() / gemm_rate, 1)
            << "% of the bf16 GEMM rate ("
            << significant(s.flops / static_cast<double>(s.steps) / 1e12, 2)
            << " TFLOP per step)\n";
}

std::string bytes_line(const std::string& label, std::int64_t bytes, const std::string& note) {
  char text[160];
  std::snprintf(text, sizeof text, "    %-18s %13lld B = %9s", label.c_str(),
                static_cast<long long>(bytes), gib(bytes).c_str());
  return std::string(text) + (note.empty() ? "" : "  (" + note + ")") + "\n";
}

std::string millions(std::int64_t count) {
  return fixed(static_cast<double>(count) / 1e6, 1) + " M";
}

// --memory: the step's bytes by kind, and the activations as what the peak held beyond them.
void print_memory(const ModeResult& r) {
  std::cout << "  memory (--memory)\n";
  if (!r.memory) {
    std::cout << "    not reported: this recipe does not account for its memory\n";
    return;
  }
  const BenchMemory& m = *r.memory;
  const std::int64_t held = m.master_weights + m.gradients + m.optimizer_state;
  std::cout << bytes_line("weights", m.weights,
                          millions(m.parameters) + " parameters, " +
                              millions(m.trainable_parameters) + " trainable")
            << bytes_line("master weights", m.master_weights, "")
            << bytes_line("gradients", m.gradients, "trainable parameters only")
            << bytes_line("optimizer state", m.optimizer_state, "");
  if (!r.peak_rss) {
    std::cout << "    activations        not measured (/proc/self/clear_refs refused)\n";
    return;
  }
  const std::int64_t activations = std::max<std::int64_t>(0, *r.peak_rss - r.start_rss - held);
  std::cout << bytes_line("activations", activations,
                          "peak RSS - RSS at start - masters, gradients, state")
            << bytes_line("RSS at start", r.start_rss, "weights, libraries, data, allocator caches")
            << bytes_line("peak RSS", *r.peak_rss, "");
}

void print_ratio(const ModeResult& wizard, const ModeResult& baseline) {
  const double speed = wizard.stats.tokens_per_second() / baseline.stats.tokens_per_second();
  std::cout << "\nwizard / baseline: " << fixed(speed, 2) << "x non-padding tokens/s, "
            << fixed(wizard.stats.mean / baseline.stats.mean, 2) << "x step time";
  if (wizard.peak_rss && baseline.peak_rss) {
    std::cout << ", " << fixed(static_cast<double>(*wizard.peak_rss) / *baseline.peak_rss, 2)
              << "x peak RSS";
  }
  std::cout << "\n";
}

void print_gemm(const GemmRate& before, const GemmRate& after) {
  std::cout << "\nbf16 GEMM rate (at::mm " << before.size << "^3, " << at::get_num_threads()
            << " threads): " << fixed(before.best / 1e12, 3) << " TFLOP/s before the steps, "
            << fixed(after.best / 1e12, 3) << " after (fastest of 8 each; medians "
            << fixed(before.median / 1e12, 3) << ", " << fixed(after.median / 1e12, 3)
            << "); utilisation is against the higher\n";
}

std::string load_average() {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) != 3) return "unknown";
  return fixed(load[0], 2) + " " + fixed(load[1], 2) + " " + fixed(load[2], 2);
}

int execute_bench(const po::variables_map& vm) {
  const std::int64_t steps = vm["steps"].as<std::int64_t>();
  const std::int64_t warmup = vm["warmup"].as<std::int64_t>();
  if (steps < 1) throw UsageError("--steps must be at least 1");
  if (warmup < 0) throw UsageError("--warmup must be 0 or more");

  SessionOptions options = session_options(vm);
  std::vector<std::string> overrides = synthetic_overrides(vm);
  overrides.insert(overrides.end(), options.overrides.begin(), options.overrides.end());
  options.overrides = overrides;
  Session session(options);

  ScratchDir scratch;
  std::unique_ptr<RecipeBench> bench;
  try {
    bench = session.recipe().prepare_bench(scratch.path());
  } catch (const UsageError& error) {
    throw UsageError("recipe '" + recipe_name(session.config()) + "': " + error.what());
  }
  std::cout << session.recipe().summary() << "(bench writes nothing there: its trainer works in "
            << scratch.path().string() << ", removed at the end)\n";
  std::cout << "load average at start: " << load_average() << "\n" << std::flush;

  const GemmRate gemm_before = measure_bf16_gemm();
  std::vector<BenchMode> modes;
  if (vm.count("baseline")) modes.push_back(BenchMode::baseline);
  modes.push_back(BenchMode::standard);  // last: anything the baseline left counts against it
  std::vector<ModeResult> results;
  for (const BenchMode mode : modes) {
    ModeResult result{mode, bench->describe(mode), {}, std::nullopt, 0, std::nullopt};
    logger()->info("bench: {} warm-up + {} timed steps: {}", warmup, steps, result.description);
    const bool restarted = restart_peak_rss();
    result.start_rss = current_rss_bytes();
    result.stats = step_stats(bench->run(mode, warmup, steps));
    if (restarted) result.peak_rss = peak_rss_bytes();
    if (vm.count("memory")) result.memory = bench->memory();
    results.push_back(result);
  }
  const GemmRate gemm_after = measure_bf16_gemm();
  const double gemm_rate = std::max(gemm_before.best, gemm_after.best);

  print_gemm(gemm_before, gemm_after);
  for (const auto& result : results) {
    print_mode(result, gemm_rate, warmup);
    if (vm.count("memory")) print_memory(result);
  }
  if (results.size() == 2) print_ratio(results[1], results[0]);
  std::cout << "load average at end: " << load_average() << "\n";
  return 0;
}

}  // namespace

Command bench_command() {
  Command command;
  command.name = "bench";
  command.synopsis =
      "bench CONFIG [--set k=v]... [--steps N] [--warmup W] [--baseline] [--memory] "
      "[--synthetic [--negatives K]]";
  command.summary = "time training steps: tokens/s, step time, peak RSS, FLOP utilisation";
  command.details =
      "Trains W + N optimizer steps on the config's model and data through the same\n"
      "trainer, sampler, scoring, loss and AdamW as `wizard run`, writing nothing but a\n"
      "scratch folder, and reports the N timed steps. With --synthetic the data are\n"
      "generated random text (the synthetic datasource's random_text task: one token per\n"
      "character with init-model's byte-level tokenizer). See docs/performance.md for\n"
      "what each figure counts, the FLOP formula, and measured results.\n";
  command.declare = [](po::options_description& options, po::positional_options_description& p) {
    declare_config_options(options, p);
    options.add_options()("steps", po::value<std::int64_t>()->default_value(5),
                          "timed optimizer steps")(
        "warmup", po::value<std::int64_t>()->default_value(2),
        "untimed optimizer steps first (allocations, caches)")(
        "baseline",
        "also time the recipe's baseline (cpo: TRL's padded batch, prompts computed twice, "
        "full-vocabulary logits) and print the ratio")(
        "synthetic", "generated random-text pairs instead of the config's dataset_spec")(
        "memory",
        "also print the bytes of weights, master weights, gradients, optimizer state and "
        "activations (the peak RSS beyond the rest)")(
        "prompt-length", po::value<std::string>()->default_value("64:256"),
        "with --synthetic: prompt length range MIN:MAX in tokens")(
        "answer-length", po::value<std::string>()->default_value("32:256"),
        "with --synthetic: answer length range MIN:MAX in tokens")(
        "rows", po::value<std::int64_t>()->default_value(1000),
        "with --synthetic: how many prompts to generate")(
        "negatives", po::value<std::int64_t>()->default_value(1),
        "with --synthetic: K negative answers per prompt, all scored each step "
        "(num_negatives = K; the baseline scores them as K padded pairs)");
  };
  command.execute = execute_bench;
  return command;
}

}  // namespace wizard::core
