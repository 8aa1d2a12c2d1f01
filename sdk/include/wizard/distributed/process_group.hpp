// A c10d process group over the launch environment's world: a TCPStore at MASTER_ADDR:
// MASTER_PORT (hosted by rank 0, or by the launcher when TORCHELASTIC_USE_AGENT_STORE says
// so) and ProcessGroupGloo for CPU tensors or ProcessGroupNCCL for CUDA tensors (when the
// LibTorch has NCCL). Every collective here must be called by every rank in the same order.
//
// A collective that fails (a peer died, the timeout passed) throws wizard::Error naming the
// ranks that reported a failure through report_failure() before they exited, else saying that
// a peer stopped answering.
#pragma once

#include <ATen/ATen.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"
#include "wizard/distributed/environment.hpp"

namespace wizard::distributed {

enum class Reduction { sum, max };

struct WIZARD_API GroupOptions {
  c10::Device device = c10::Device(c10::kCPU);  // where the collectives' tensors live
  std::chrono::milliseconds timeout = std::chrono::minutes(30);  // ddp_timeout
  std::string backend;  // "" (gloo on the CPU, nccl on CUDA), "gloo" or "nccl"
};

// An all-reduce in flight.
class WIZARD_API PendingCollective {
 public:
  virtual ~PendingCollective();
  // Blocks until it is done; throws as the collectives do.
  virtual void wait() = 0;
};

class WIZARD_API ProcessGroup {
 public:
  // Connects to the other ranks (blocks until all joined, at most options.timeout).
  static std::shared_ptr<ProcessGroup> connect(const LaunchEnvironment& environment,
                                               const GroupOptions& options);
  // The process's group over LaunchEnvironment::current()'s world: connected on the first
  // call, the same group for every later call while someone holds it (a recipe's work before
  // training, such as hard-negative mining, and the trainer then share it: a second group
  // would host a second store on MASTER_PORT). A later call must ask for the same device and
  // backend; its timeout is the first call's.
  static std::shared_ptr<ProcessGroup> world(const GroupOptions& options);
  // The backends this LibTorch build can create ("gloo", "nccl").
  static std::vector<std::string> available_backends();

  virtual ~ProcessGroup();
  virtual int64_t rank() const = 0;
  virtual int64_t size() const = 0;
  virtual std::string backend() const = 0;
  virtual const GroupOptions& options() const = 0;

  // In place on `tensor` (on options().device).
  virtual std::unique_ptr<PendingCollective> all_reduce_async(at::Tensor tensor,
                                                              Reduction reduction) = 0;
  void all_reduce(const at::Tensor& tensor, Reduction reduction = Reduction::sum);
  // Sums every rank's `tensor` into `root`'s (in place there; the other ranks' tensors may be
  // overwritten with partial sums: their values are unspecified afterwards). What sharded
  // optimizer state uses to hand each owner its parameters' gradient sums.
  virtual std::unique_ptr<PendingCollective> reduce_async(at::Tensor tensor, int64_t root) = 0;
  virtual void broadcast(const at::Tensor& tensor, int64_t root) = 0;
  // Every rank's `tensor` (same shape and dtype everywhere), in rank order, on the CPU.
  virtual std::vector<at::Tensor> all_gather(const at::Tensor& tensor) = 0;
  virtual void barrier() = 0;

  // Convenience over the collectives: doubles, text from `root`.
  std::vector<double> all_reduce(std::vector<double> values, Reduction reduction);
  std::string broadcast_text(const std::string& text, int64_t root);

  // Leaves a note for the others in the store ("rank 2: <message>") before this rank exits
  // on an error; best effort, never throws.
  virtual void report_failure(const std::string& message) noexcept = 0;
};

}  // namespace wizard::distributed
