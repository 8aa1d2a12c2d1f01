#include "kernels_cpu_ops.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels_cpu.hpp"

namespace wizard::model::cpu {

namespace {

thread_local int aten_forced = 0;

bool switched_off() {
  static const bool off = [] {
    const char* value = std::getenv("WIZARD_CPU_KERNELS");
    return value != nullptr && std::strcmp(value, "aten") == 0;
  }();
  return off;
}

Storage storage_of(const at::Tensor& t) {
  return t.scalar_type() == at::kBFloat16 ? Storage::bf16 : Storage::f32;
}
int index_of(const at::Tensor& t) {
  return static_cast<int>(storage_of(t));
}

// t as [rows, last] with unit stride along the last dimension (a view when possible).
at::Tensor as_rows(const at::Tensor& t) {
  at::Tensor rows = t.dim() == 2 ? t : t.reshape({-1, t.size(-1)});
  if (rows.stride(1) != 1 || (rows.size(0) > 1 && rows.stride(0) < rows.size(1)))
    rows = rows.contiguous();
  return rows;
}

// Rows per task so that a task handles at least ~16K elements.
int64_t grain_for(int64_t width) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(width, 1));
}

}  // namespace

ScopedAtenKernels::ScopedAtenKernels() {
  ++aten_forced;
}
ScopedAtenKernels::~ScopedAtenKernels() {
  --aten_forced;
}

bool fused(std::initializer_list<at::Tensor> tensors) {
  if (aten_forced > 0 || switched_off()) return false;
  const at::Tensor* first = nullptr;
  for (const at::Tensor& t : tensors) {
    if (!t.defined() || !t.device().is_cpu() || t.is_sparse()) return false;
    if (t.scalar_type() != at::kFloat && t.scalar_type() != at::kBFloat16) return false;
    if (first != nullptr && t.scalar_type() != first->scalar_type()) return false;
    first = &t;
  }
  return first != nullptr;
}

std::pair<at::Tensor, at::Tensor> rms_norm(const at::Tensor& x, const at::Tensor& weight,
                                           double eps) {
  const at::Tensor rows = as_rows(x);
  const at::Tensor w = weight.contiguous();
  at::Tensor y = at::empty(rows.sizes(), rows.options());
  at::Tensor rstd = at::empty({rows.size(0)}, rows.options().dtype(at::kFloat));
  const RmsNormArgs args{
      rows.data_ptr(), rows.stride(0),         w.data_ptr(), y.data_ptr(),
      y.stride(0),     rstd.data_ptr<float>(), rows.size(1), static_cast<float>(eps)};
  const auto kernel = kernel_table().rms_norm[index_of(x)];
  at::parallel_for(0, rows.size(0), grain_for(rows.size(1)),
                   [&](int64_t begin, int64_t end) { kernel(args, begin, end); });
  return {y.view(x.sizes()), rstd};
}

std::pair<at::Tensor, at::Tensor> rms_norm_backward(const at::Tensor& grad, const at::Tensor& x,
                                                    const at::Tensor& weight,
                                                    const at::Tensor& rstd) {
  const at::Tensor g = as_rows(grad);
  const at::Tensor xr = as_rows(x);
  const at::Tensor w = weight.contiguous();
  const int64_t rows = xr.size(0), width = xr.size(1);
  at::Tensor grad_x = at::empty(xr.sizes(), xr.options());
  // One float32 partial sum of grad_weight per task, added up at the end.
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), rows / 8));
  at::Tensor partial = at::zeros({tasks, width}, xr.options().dtype(at::kFloat));
  const RmsNormBackwardArgs args{g.data_ptr(),      g.stride(0),      xr.data_ptr(),
                                 xr.stride(0),      w.data_ptr(),     rstd.data_ptr<float>(),
                                 grad_x.data_ptr(), grad_x.stride(0), width};
  const auto kernel = kernel_table().rms_norm_backward[index_of(x)];
  float* partial_data = partial.data_ptr<float>();
  at::parallel_for(0, tasks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      kernel(args, partial_data + t * width, rows * t / tasks, rows * (t + 1) / tasks);
    }
  });
  at::Tensor grad_weight = tasks == 1 ? partial[0] : partial.sum(0);
  return {grad_x.view(x.sizes()), grad_weight.to(weight.scalar_type())};
}

at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up) {
  const at::Tensor g = as_rows(gate);
  const at::Tensor u = as_rows(up);
  at::Tensor out = at::empty(g.sizes(), g.options());
  const SwigluArgs args{g.data_ptr(),   g.stride(0),   u.data_ptr(), u.stride(0),
                        out.data_ptr(), out.stride(0), g.size(1)};
  const auto kernel = kernel_table().swiglu[index_of(gate)];
  at::parallel_for(0, g.size(0), grain_for(g.size(1)),
                   [&](int64_t begin, int64_t end) { kernel(args, begin, end); });
  return out.view(gate.sizes());
}

std::pair<at::Tensor, at::Tensor> swiglu_backward(const at::Tensor& grad, const at::Tensor& gate,
                                                  const at::Tensor& up) {
  const at::Tensor gr = as_rows(grad);
  const at::Tensor g = as_rows(gate);
  const at::Tensor u = as_rows(up);
  at::Tensor grad_gate = at::empty(g.sizes(), g.options());
  at::Tensor grad_up = at::empty(g.sizes(), g.options());
  const SwigluBackwardArgs args{gr.data_ptr(),
                                gr.stride(0),
                                g.data_ptr(),
                                g.stride(0),
                                u.data_ptr(),
                                u.stride(0),
                                grad_gate.data_ptr(),
                                grad_gate.stride(0),
                                grad_up.data_ptr(),
                                grad_up.stride(0),
                                g.size(1)};
  const auto kernel = kernel_table().swiglu_backward[index_of(gate)];
  at::parallel_for(0, g.size(0), grain_for(g.size(1)),
                   [&](int64_t begin, int64_t end) { kernel(args, begin, end); });
  return {grad_gate.view(gate.sizes()), grad_up.view(gate.sizes())};
}

at::Tensor gather_slots(const at::Tensor& rows, const at::Tensor& cos, const at::Tensor& sin,
                        const std::vector<int64_t>& index, int64_t blocks, int64_t slots,
                        int64_t heads, int64_t head_dim) {
  const at::Tensor src = as_rows(rows);
  const at::Tensor c = cos.defined() ? cos.contiguous() : cos;
  const at::Tensor s = sin.defined() ? sin.contiguous() : sin;
  at::Tensor out = at::empty({blocks, heads, slots, head_dim}, src.options());
  const GatherArgs args{src.data_ptr(),
                        src.stride(0),
                        c.defined() ? c.data_ptr() : nullptr,
                        s.defined() ? s.data_ptr() : nullptr,
                        index.data(),
                        slots,
                        heads,
                        head_dim,
                        out.data_ptr()};
  const auto kernel = kernel_table().gather[index_of(src)];
  at::parallel_for(0, blocks * slots, grain_for(heads * head_dim),
                   [&](int64_t begin, int64_t end) { kernel(args, begin, end); });
  return out;
}

void scatter_add_slots(const at::Tensor& slots, const at::Tensor& cos, const at::Tensor& sin,
                       const SlotMap& map, at::Tensor& rows) {
  TORCH_CHECK(rows.is_contiguous(), "scatter_add_slots: contiguous rows expected");
  const at::Tensor src = slots.contiguous();
  const at::Tensor c = cos.defined() ? cos.contiguous() : cos;
  const at::Tensor s = sin.defined() ? sin.contiguous() : sin;
  const ScatterArgs args{src.data_ptr(),
                         c.defined() ? c.data_ptr() : nullptr,
                         s.defined() ? s.data_ptr() : nullptr,
                         map.positions.data(),
                         map.offsets.data(),
                         map.sources.data(),
                         src.size(2),
                         src.size(1),
                         src.size(3),
                         rows.data_ptr(),
                         rows.size(-1)};
  const auto kernel = kernel_table().scatter[index_of(src)];
  at::parallel_for(0, static_cast<int64_t>(map.positions.size()),
                   grain_for(src.size(1) * src.size(3)),
                   [&](int64_t begin, int64_t end) { kernel(args, begin, end); });
}

namespace {

SoftmaxArgs softmax_layout(void* scores, const BlockGroup& group, int64_t heads,
                           std::optional<int64_t> window, double scale) {
  return {scores,
          heads,
          group.query_slots,
          group.key_slots,
          group.prefix.data(),
          group.queries.data(),
          group.keys.data(),
          group.key_valid.empty() ? nullptr : group.key_valid.data(),
          window.value_or(0),
          static_cast<float>(scale)};
}

}  // namespace

void masked_softmax_(at::Tensor& scores, const BlockGroup& group, int64_t heads,
                     std::optional<int64_t> window, double scale) {
  TORCH_CHECK(scores.is_contiguous(), "masked_softmax_: contiguous scores expected");
  const SoftmaxArgs args = softmax_layout(scores.data_ptr(), group, heads, window, scale);
  const auto kernel = kernel_table().softmax[index_of(scores)];
  at::parallel_for(0, group.blocks * heads * group.query_slots, grain_for(group.key_slots),
                   [&](int64_t begin, int64_t end) { kernel(args, begin, end); });
}

void masked_softmax_backward_(const at::Tensor& probs, at::Tensor& grad, const BlockGroup& group,
                              int64_t heads, std::optional<int64_t> window, double scale) {
  TORCH_CHECK(probs.is_contiguous() && grad.is_contiguous(),
              "masked_softmax_backward_: contiguous tensors expected");
  const SoftmaxBackwardArgs args{probs.data_ptr(), grad.data_ptr(),
                                 softmax_layout(nullptr, group, heads, window, scale)};
  const auto kernel = kernel_table().softmax_backward[index_of(grad)];
  at::parallel_for(0, group.blocks * heads * group.query_slots, grain_for(group.key_slots),
                   [&](int64_t begin, int64_t end) { kernel(args, begin, end); });
}

void logit_stats(const at::Tensor& logits, int64_t first_row, const at::Tensor& labels,
                 at::Tensor& max, at::Tensor& sum, at::Tensor& picked, at::Tensor& logit_sum) {
  TORCH_CHECK(logits.is_contiguous() && labels.is_contiguous() && max.is_contiguous() &&
                  sum.is_contiguous() && picked.is_contiguous() && logit_sum.is_contiguous(),
              "logit_stats: contiguous tensors expected");
  const LogitStatsArgs args{logits.data_ptr(),
                            logits.size(0),
                            logits.size(1),
                            first_row,
                            labels.data_ptr<int64_t>(),
                            max.data_ptr<float>(),
                            sum.data_ptr<float>(),
                            picked.data_ptr<float>(),
                            logit_sum.data_ptr<double>()};
  const auto kernel = kernel_table().logit_stats[index_of(logits)];
  // Columns in ranges of at least 64 (whole cache lines per row of the chunk).
  at::parallel_for(0, logits.size(1), 64,
                   [&](int64_t begin, int64_t end) { kernel(args, begin, end); });
}

void logit_grad_(at::Tensor& logits, int64_t first_row, const at::Tensor& labels,
                 const at::Tensor& lse, const at::Tensor& grad) {
  TORCH_CHECK(logits.is_contiguous() && labels.is_contiguous() && lse.is_contiguous() &&
                  grad.is_contiguous(),
              "logit_grad_: contiguous tensors expected");
  const LogitGradArgs args{
      logits.data_ptr(),          logits.size(0),        logits.size(1),        first_row,
      labels.data_ptr<int64_t>(), lse.data_ptr<float>(), grad.data_ptr<float>()};
  const auto kernel = kernel_table().logit_grad[index_of(logits)];
  at::parallel_for(0, logits.size(0), grain_for(logits.size(1)),
                   [&](int64_t begin, int64_t end) { kernel(args, begin, end); });
}

}  // namespace wizard::model::cpu
