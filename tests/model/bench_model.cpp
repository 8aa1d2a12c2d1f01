// Forward + backward time of a Qwen2.5-0.5B-shaped model (init_model preset) on 512 tokens,
// with the LM head applied at half of the positions, as a preference-optimisation step
// computes log-probs only at completion positions.
//
//   build/bin/bench_model [--dtype bfloat16|float32]
//       [--layout padded|prefix] [--tokens 512] [--steps 3] [--threads 2] [--checkpointing]
//       [--model DIR] [--profile trace.json] [--autocast] [--head full|selected]
//
// --autocast loads float32 weights and runs the forward pass (LM head included) under LibTorch's
// CPU autocast to bfloat16; --head selected computes the log-probs with selected_logprobs (the
// preference recipes' path: transposed vocabulary slices, no [positions, vocab] tensor kept in
// float32) instead of a float32 log_softmax over the vocabulary.
//
// The model folder is created once (bf16 weights) in $TMPDIR/wizard-bench-qwen2.5-0.5b and
// reused. Times are per step over --steps runs after one warm-up run: the fastest and the
// median wall time, and the process CPU time (on a shared machine the fastest run is the
// closest to the machine's capability; CPU time shows the work done).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <sys/resource.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "model/autocast_state.hpp"
#include "wizard/model/causal_lm.hpp"
#include "wizard/model/init_model.hpp"
#include "wizard/preference/selected_logprobs.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using wizard::model::AttentionLayout;
using wizard::model::CausalLM;

struct Args {
  std::string dtype = "bfloat16";
  std::string layout = "padded";
  int64_t tokens = 512;
  int steps = 3;
  int threads = 2;
  bool checkpointing = false;
  std::string profile;        // chrome-trace file of one extra step, when given
  bool autocast = false;      // float32 weights, forward under CPU autocast to bfloat16
  std::string head = "full";  // full: log_softmax over the vocabulary; selected: selected_logprobs
  fs::path model = fs::temp_directory_path() / "wizard-bench-qwen2.5-0.5b";
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--dtype")
      a.dtype = value();
    else if (flag == "--layout")
      a.layout = value();
    else if (flag == "--tokens")
      a.tokens = std::stoll(value());
    else if (flag == "--steps")
      a.steps = std::stoi(value());
    else if (flag == "--threads")
      a.threads = std::stoi(value());
    else if (flag == "--checkpointing")
      a.checkpointing = true;
    else if (flag == "--autocast")
      a.autocast = true;
    else if (flag == "--head")
      a.head = value();
    else if (flag == "--profile")
      a.profile = value();
    else if (flag == "--model")
      a.model = value();
    else
      throw std::runtime_error("unknown flag " + flag);
  }
  return a;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// padded: one full row. prefix: [prompt | chosen | rejected] (half prompt, a quarter each),
// both completions attending to the prompt. Either way the LM head runs on half the tokens.
struct Batch {
  at::Tensor ids;
  AttentionLayout layout = AttentionLayout::packed({{1}}, 1);
  at::Tensor head_positions;  // flat indices into [R*T]
};

Batch make_batch(const Args& a, int64_t vocab) {
  Batch b;
  const int64_t T = a.tokens;
  b.ids = at::randint(0, vocab, {1, T}, at::kLong);
  if (a.layout == "prefix") {
    const int64_t prompt = T / 2, answer = T / 4;
    b.layout = AttentionLayout::segmented(
        {{{0, prompt, -1}, {prompt, answer, 0}, {prompt + answer, T - prompt - answer, 0}}}, T);
    b.head_positions = at::arange(prompt, T, at::kLong);
  } else {
    b.layout = AttentionLayout::padded(at::ones({1, T}, at::kLong));
    b.head_positions = at::arange(T / 2, T, at::kLong);
  }
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  at::set_num_threads(a.threads);
  std::printf("threads %d, LibTorch %s, MKLDNN %s, MKL %s\n", a.threads, TORCH_VERSION,
              at::hasMKLDNN() ? "yes" : "no", at::hasMKL() ? "yes" : "no");
  if (!fs::exists(a.model / "config.json")) {
    auto options = wizard::model::InitModelOptions::preset("qwen2.5-0.5b");
    options.dtype = "bfloat16";
    const auto start = Clock::now();
    wizard::model::init_model(a.model, options);
    std::printf("init_model qwen2.5-0.5b -> %s: %.1f s\n", a.model.c_str(), seconds_since(start));
  }
  CausalLM model = CausalLM::from_pretrained(
      a.model, a.autocast ? at::kFloat : wizard::model::dtype_from_name(a.dtype));
  model.set_gradient_checkpointing(a.checkpointing);
  const Batch batch = make_batch(a, model.config().vocab_size);
  const at::Tensor positions = batch.layout.position_ids();
  const at::Tensor targets = batch.ids.reshape({-1}).index_select(0, batch.head_positions);

  struct Times {
    double forward, backward, cpu;
    double step() const { return forward + backward; }
  };
  std::vector<Times> times;
  auto run_step = [&]() -> Times {
    for (at::Tensor& p : model.parameters()) p.mutable_grad() = at::Tensor();
    const double cpu_start = cpu_seconds();
    auto start = Clock::now();
    at::Tensor loss;
    {
      std::optional<wizard::model::AutocastGuard> autocast;
      if (a.autocast) autocast.emplace(wizard::model::AutocastState{true, at::kBFloat16});
      const at::Tensor hidden = model.forward(batch.ids, positions, batch.layout);
      const at::Tensor rows =
          hidden.reshape({-1, hidden.size(-1)}).index_select(0, batch.head_positions);
      if (a.head == "selected") {
        loss = -wizard::preference::selected_logprobs(rows, model.lm_head_weight(), targets)
                    .logps.mean();
      } else {
        const at::Tensor logprobs = at::log_softmax(model.lm_head(rows).to(at::kFloat), -1);
        loss = -logprobs.gather(1, targets.unsqueeze(1)).mean();
      }
    }
    if (a.autocast) at::autocast::clear_cache();
    const double forward = seconds_since(start);
    start = Clock::now();
    loss.backward();
    const double backward = seconds_since(start);
    return {forward, backward, cpu_seconds() - cpu_start};
  };
  for (int step = 0; step <= a.steps; ++step) {
    const Times t = run_step();
    if (step > 0) times.push_back(t);  // 0: warm-up
  }
  if (!a.profile.empty()) {
    torch::autograd::profiler::RecordProfile guard(a.profile);
    run_step();
  }
  std::sort(times.begin(), times.end(),
            [](const Times& x, const Times& y) { return x.step() < y.step(); });
  const Times& best = times.front();
  const Times& median = times[times.size() / 2];
  std::printf(
      "%s %s layout, %lld tokens, checkpointing %s: fastest step %.2f s (forward %.2f, "
      "backward %.2f, %.0f tokens/s), median %.2f s, CPU time per step %.2f s\n",
      a.dtype.c_str(), a.layout.c_str(), static_cast<long long>(a.tokens),
      a.checkpointing ? "on" : "off", best.step(), best.forward, best.backward,
      a.tokens / best.step(), median.step(), median.cpu);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak RSS %.2f GiB%s, head %s\n", static_cast<double>(usage.ru_maxrss) / (1 << 20),
              a.autocast ? ", float32 weights under CPU autocast (bfloat16)" : "", a.head.c_str());
  return 0;
}
