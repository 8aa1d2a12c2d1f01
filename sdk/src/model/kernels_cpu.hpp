// Fused CPU kernels of the model's element-wise work: storage in bfloat16 or float32,
// arithmetic in float32 registers, one pass over memory where ATen needs several.
//
// The kernels are plain functions over raw pointers and a range of rows, written once with
// at::vec (kernels_cpu_impl.hpp) and compiled for AVX-512, AVX2 and baseline x86-64
// (kernels_cpu_{avx512,avx2,generic}.cpp); kernel_table() picks the best the CPU runs.
// The tensor-level wrappers (kernels_cpu_ops.hpp) split rows across threads.
//
// Rounding follows the ATen computation each kernel replaces: where transformers' bfloat16
// code rounds an intermediate to bfloat16 (e.g. silu(gate) before the product with up), the
// kernel rounds it too, so results match ATen's within float32 summation order.
#pragma once

#include <cstdint>

namespace wizard::model::cpu {

enum class Storage : int { f32 = 0, bf16 = 1 };

// y = weight * round(x * rstd), rstd = 1 / sqrt(mean(x^2) + eps) per row (saved, float32).
struct RmsNormArgs {
  const void* x;
  int64_t x_stride;
  const void* weight;
  void* y;
  int64_t y_stride;
  float* rstd;
  int64_t width;
  float eps;
};

// grad_x of rms_norm, and grad_weight partial sums (float32) added into `grad_weight`.
struct RmsNormBackwardArgs {
  const void* grad;
  int64_t grad_stride;
  const void* x;
  int64_t x_stride;
  const void* weight;
  const float* rstd;
  void* grad_x;
  int64_t grad_x_stride;
  int64_t width;
};

// out = round(silu(gate)) * up.
struct SwigluArgs {
  const void* gate;
  int64_t gate_stride;
  const void* up;
  int64_t up_stride;
  void* out;
  int64_t out_stride;
  int64_t width;
};

struct SwigluBackwardArgs {
  const void* grad;
  int64_t grad_stride;
  const void* gate;
  int64_t gate_stride;
  const void* up;
  int64_t up_stride;
  void* grad_gate;
  int64_t grad_gate_stride;
  void* grad_up;
  int64_t grad_up_stride;
  int64_t width;
};

// Rows of a [positions, heads * head_dim] matrix copied into [blocks][heads][slots][head_dim]
// (attention's batched layout), rotated by RoPE (rotate-half) when cos/sin are given.
// index[block * slots + slot] is the source position, or -1 for a padding slot (zeros).
struct GatherArgs {
  const void* src;
  int64_t src_stride;
  const void* cos;  // [positions, head_dim], or null: plain copy
  const void* sin;
  const int64_t* index;
  int64_t slots;
  int64_t heads;
  int64_t head_dim;
  void* dst;
};

// The transpose of a gather, added into dst: each listed position p = positions[e] gets the
// sum of the slots that read it (sources[offsets[e] .. offsets[e + 1]), flat block * slots +
// slot), rotated back when cos/sin are given. Sums in float32, rounded once per call.
struct ScatterArgs {
  const void* src;  // [blocks][heads][slots][head_dim]
  const void* cos;
  const void* sin;
  const int64_t* positions;
  const int64_t* offsets;
  const int64_t* sources;
  int64_t slots;
  int64_t heads;
  int64_t head_dim;
  void* dst;  // [positions, heads * head_dim]
  int64_t dst_stride;
};

// Attention probabilities of a group of blocks, in place over scores laid out
// [blocks][heads][query_slots][key_slots]. Query i of block b sees key j when
// j <= prefix[b] + i (causal after the prefix), prefix[b] + i - j < window (if window > 0),
// j < keys[b], and key_valid[b * key_slots + j] (if given). Scores are scaled and rounded as
// transformers does (round(scale * s)), softmax runs in float32, probabilities are rounded
// to the storage type. Padding query slots (i >= queries[b]) get zeros; a query seeing no
// key at all gets the uniform distribution over keys[b] keys (transformers' finite mask).
struct SoftmaxArgs {
  void* scores;
  int64_t heads;
  int64_t query_slots;
  int64_t key_slots;
  const int64_t* prefix;
  const int64_t* queries;
  const int64_t* keys;
  const uint8_t* key_valid;
  int64_t window;
  float scale;
};

// In place over grad (laid out as scores): grad = round(scale * round(p * (grad - sum(p *
// grad)))), the softmax backward followed by the score scale.
struct SoftmaxBackwardArgs {
  const void* probs;
  void* grad;
  SoftmaxArgs layout;  // scores unused
};

// Log-softmax statistics of a chunk of transposed logits [rows = vocabulary entries
// first_row.., cols = positions]: per column the running max and sum of exp (merged with
// the previous chunks), the sum of the logits (added into logit_sum), and the logit of the
// column's label when it falls in this chunk.
struct LogitStatsArgs {
  const void* logits;
  int64_t rows;
  int64_t cols;
  int64_t first_row;
  const int64_t* labels;
  float* max;
  float* sum;
  float* picked;
  double* logit_sum;
};

// In place over a chunk of transposed logits: grad[c] * (onehot(label[c]) - exp(x - lse[c])),
// rounded to the storage type (d log p / d logits times the incoming gradient).
struct LogitGradArgs {
  void* logits;
  int64_t rows;
  int64_t cols;
  int64_t first_row;
  const int64_t* labels;
  const float* lse;
  const float* grad;
};

// One variant's kernels, indexed by Storage. Ranges are [begin, end) of rows (of slots for
// gather, entries of `positions` for scatter, columns for logit stats).
struct KernelTable {
  const char* name;
  void (*rms_norm[2])(const RmsNormArgs&, int64_t begin, int64_t end);
  void (*rms_norm_backward[2])(const RmsNormBackwardArgs&, float* grad_weight, int64_t begin,
                               int64_t end);
  void (*swiglu[2])(const SwigluArgs&, int64_t begin, int64_t end);
  void (*swiglu_backward[2])(const SwigluBackwardArgs&, int64_t begin, int64_t end);
  void (*gather[2])(const GatherArgs&, int64_t begin, int64_t end);
  void (*scatter[2])(const ScatterArgs&, int64_t begin, int64_t end);
  void (*softmax[2])(const SoftmaxArgs&, int64_t begin, int64_t end);
  void (*softmax_backward[2])(const SoftmaxBackwardArgs&, int64_t begin, int64_t end);
  void (*logit_stats[2])(const LogitStatsArgs&, int64_t begin, int64_t end);
  void (*logit_grad[2])(const LogitGradArgs&, int64_t begin, int64_t end);
};

// Each variant's table, or null when the build could not compile it.
const KernelTable* kernels_avx512();
const KernelTable* kernels_avx2();
const KernelTable* kernels_generic();

// The variant this CPU runs best; WIZARD_CPU_KERNELS=generic|avx2|avx512 asks for one (a
// warning and the best available when this CPU or build lacks it).
const KernelTable& kernel_table();

}  // namespace wizard::model::cpu
