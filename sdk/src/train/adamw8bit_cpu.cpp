// The fused CPU pass of 8-bit AdamW: one read and one write of every code, master and
// gradient element per step. Blocks are independent and each runs the same scalar code
// whatever the thread split, so results do not depend on the number of threads.
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "train/adamw8bit.hpp"
#include "train/adamw_cpu_element.hpp"

namespace wizard::train::detail {

namespace {

constexpr int64_t kGrainBlocks = 128;  // blocks of 256 per parallel task
constexpr int64_t kLanes = 16;

struct QuantState {
  const float* map1;  // signed map (first moment)
  const CodeSearch* search1;
  const float* map2;  // unsigned map (second moment)
  const CodeSearch* search2;
};

// Blocks [first_block, last_block) of the update. The arithmetic per element is
// fused_adamw_step's (torch's op order) on the dequantised moments, which bitsandbytes' CPU
// backend shares; the moments are then re-quantised against the block's new absmax.
template <class P, Master kMaster, bool kAcc, bool kGrad>
WIZARD_VECTOR_CLONES void step_blocks(P* __restrict parameter, float* __restrict master,
                                      std::int16_t* __restrict master_low,
                                      const float* __restrict accumulator, const P* __restrict grad,
                                      std::uint8_t* __restrict exp_avg, float* __restrict absmax1,
                                      std::uint8_t* __restrict exp_avg_sq,
                                      float* __restrict absmax2, const QuantState q,
                                      const AdamWScalars s, int64_t numel, int64_t first_block,
                                      int64_t last_block) {
  float m_block[kStateBlock];
  float v_block[kStateBlock];
  for (int64_t block = first_block; block < last_block; ++block) {
    const int64_t begin = block * kStateBlock;
    const int64_t length = std::min(kStateBlock, numel - begin);
    const float old_absmax1 = absmax1[block];
    const float old_absmax2 = absmax2[block];
    // Dequantise (table lookups), then the update over plain floats (vectorises), then the
    // new absmax in 16 lanes (max is exact, so the lane order does not matter).
    for (int64_t j = 0; j < length; ++j) {
      m_block[j] = q.map1[exp_avg[begin + j]] * old_absmax1;
      v_block[j] = q.map2[exp_avg_sq[begin + j]] * old_absmax2;
    }
    for (int64_t j = 0; j < length; ++j) {
      const int64_t i = begin + j;
      const float g = gradient_at<P, kAcc, kGrad>(accumulator, grad, i) * s.grad_scale;
      const float p = adamw_element(load_master<P, kMaster>(parameter, master, master_low, i), g,
                                    m_block[j], v_block[j], s);
      store_master<P, kMaster>(parameter, master, master_low, i, p);
    }
    float lanes1[kLanes] = {};
    float lanes2[kLanes] = {};
    for (int64_t j = 0; j < length; ++j) {
      const float m = std::fabs(m_block[j]);
      const float v = std::fabs(v_block[j]);
      lanes1[j % kLanes] = lanes1[j % kLanes] < m ? m : lanes1[j % kLanes];
      lanes2[j % kLanes] = lanes2[j % kLanes] < v ? v : lanes2[j % kLanes];
    }
    float new_absmax1 = 0.0f;
    float new_absmax2 = 0.0f;
    for (int lane = 0; lane < kLanes; ++lane) {
      new_absmax1 = std::max(new_absmax1, lanes1[lane]);
      new_absmax2 = std::max(new_absmax2, lanes2[lane]);
    }
    absmax1[block] = new_absmax1;
    absmax2[block] = new_absmax2;
    // As quantize_blockwise: times the reciprocal of the absmax (at least 1e-38), clamped.
    const float inverse1 = 1.0f / std::max(new_absmax1, 1e-38f);
    const float inverse2 = 1.0f / std::max(new_absmax2, 1e-38f);
    for (int64_t j = 0; j < length; ++j) {
      m_block[j] = std::min(1.0f, std::max(-1.0f, m_block[j] * inverse1));
      v_block[j] = std::min(1.0f, std::max(-1.0f, v_block[j] * inverse2));
    }
    q.search1->nearest_n(m_block, exp_avg + begin, length);
    q.search2->nearest_n(v_block, exp_avg_sq + begin, length);
  }
}

void check_state(const at::Tensor& codes, const at::Tensor& absmax, int64_t numel,
                 const char* which) {
  if (!codes.is_cpu() || !codes.is_contiguous() || codes.scalar_type() != at::kByte ||
      codes.numel() != numel) {
    throw Error(std::string("fused 8-bit AdamW: ") + which +
                " must be contiguous uint8 codes on the CPU, one per parameter element");
  }
  if (!absmax.is_cpu() || !absmax.is_contiguous() || absmax.scalar_type() != at::kFloat ||
      absmax.numel() != state_blocks(numel)) {
    throw Error(std::string("fused 8-bit AdamW: ") + which +
                "'s absmax must be contiguous float32 on the CPU, one per block of 256");
  }
}

}  // namespace

void fused_adamw8bit_step(const at::Tensor& parameter, const at::Tensor& master,
                          const at::Tensor& master_low, const at::Tensor& accumulator,
                          const at::Tensor& grad, const at::Tensor& exp_avg,
                          const at::Tensor& exp_avg_absmax, const at::Tensor& exp_avg_sq,
                          const at::Tensor& exp_avg_sq_absmax, const AdamWScalars& scalars) {
  const int64_t numel = parameter.numel();
  check_state(exp_avg, exp_avg_absmax, numel, "exp_avg");
  check_state(exp_avg_sq, exp_avg_sq_absmax, numel, "exp_avg_sq");
  const QuantState q{dynamic_map(true).data_ptr<float>(), &code_search(true),
                     dynamic_map(false).data_ptr<float>(), &code_search(false)};
  dispatch_step("fused 8-bit AdamW", parameter, master, master_low, accumulator, grad,
                [&](auto kind, const auto& t) {
                  using K = decltype(kind);
                  using P = typename K::Parameter;
                  std::uint8_t* m = data<std::uint8_t>(exp_avg);
                  float* m_absmax = data<float>(exp_avg_absmax);
                  std::uint8_t* v = data<std::uint8_t>(exp_avg_sq);
                  float* v_absmax = data<float>(exp_avg_sq_absmax);
                  at::parallel_for(0, state_blocks(numel), kGrainBlocks,
                                   [&](int64_t first, int64_t last) {
                                     step_blocks<P, K::master, K::accumulator, K::grad>(
                                         t.parameter, t.master, t.master_low, t.accumulator, t.grad,
                                         m, m_absmax, v, v_absmax, q, scalars, numel, first, last);
                                   });
                });
}

}  // namespace wizard::train::detail
