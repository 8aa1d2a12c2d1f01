// Gradient averaging across the ranks of a data-parallel run, as PyTorch's DDP Reducer does:
// parameters are grouped into buckets of about `bucket_bytes` (in reverse order, the order in
// which backward produces their gradients), and a bucket's all-reduce starts from the
// parameters' post-accumulate-grad hooks as soon as its last gradient arrived, overlapping
// the rest of the backward pass. Buckets are always launched in the same order on every rank.
// Gradients are reduced in float32 (wizard sums gradients in float32 anyway).
//
//   reducer.arm();        before the backward pass of a window's last micro-batch
//   loss.backward();      hooks copy gradients into buckets and launch their all-reduces
//   reducer.finish();     launches what did not fill (parameters without a gradient on this
//                         rank contribute zeros), waits, hands every parameter the average
//
// Micro-batches that only accumulate are not armed: nothing is communicated for them.
//
// Sharded optimizer state (ZeRO stage 1): with `owners` set, each bucket holds parameters of
// one owner only and is reduced (c10d reduce, a sum) to that rank instead of all-reduced, and
// finish() hands averaged gradients to the owner's parameters alone; the other ranks' gradients
// of those parameters are left as they were (the trainer drops them). Buckets are launched in
// the order their last gradient is expected (the backward order), the same on every rank.
#pragma once

#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/distributed/process_group.hpp"

namespace wizard::distributed {

struct WIZARD_API GradientAccess {
  // The parameters, in model order.
  std::vector<at::Tensor> parameters;
  // Parameter i's float32 gradient summed so far on this rank (undefined when none).
  std::function<at::Tensor(std::size_t)> local_gradient;
  // Gives parameter i the averaged float32 gradient (a view into a bucket, valid until the
  // next finish()).
  std::function<void(std::size_t, const at::Tensor&)> set_gradient;
  // The rank that owns parameter i under sharded optimizer state; empty: every rank needs
  // every gradient (all-reduce).
  std::vector<int64_t> owners;
};

class WIZARD_API GradientReducer {
 public:
  GradientReducer(std::shared_ptr<ProcessGroup> group, GradientAccess access, int64_t bucket_bytes);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  void arm();
  void finish();

  // Bucket layout: parameter indices per bucket, in launch order (for tests and logs).
  std::vector<std::vector<std::size_t>> buckets() const;
  // All-reduces launched from hooks during the last armed backward (the rest by finish()).
  int64_t launched_during_backward() const;
  // Bytes all-reduced (or reduced to their owners) per optimizer step.
  int64_t bytes_per_step() const;

  struct State;  // buckets and hooks (opaque; the hooks hold it weakly)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace wizard::distributed
