// The trainer's side of a data-parallel run (docs/distributed.md): the process group, the
// share of each micro-batch this rank computes, the gradient reducer, and the small
// collectives that keep the ranks in step (metrics, stop requests, evaluation results,
// RNG states for checkpoints). Absent (null) in a single-process run, which then runs
// exactly as it always did.
//
// With optimizer_sharding (ZeRO stage 1) every trainable parameter has one owner
// (wizard/distributed/parameter_partition.hpp): the optimizer is built over the owner's
// parameters only, the gradient buckets are reduced to their owners, the gradient norm is
// summed from the owners' shares, and after the step each owner broadcasts its parameters.
// The other ranks' gradients of a parameter are kept (float32 sums of low-precision ones
// across micro-batches, as AdamW keeps them) only until they were sent.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wizard/distributed/gradient_reducer.hpp"
#include "wizard/distributed/process_group.hpp"
#include "wizard/model/safetensors.hpp"
#include "wizard/train/adamw.hpp"
#include "wizard/train/trainer.hpp"
#include "wizard/train/training_args.hpp"

namespace wizard::train::detail {

// One optimizer step's sums on this rank, reduced over the ranks at the step's end: each
// micro-batch's values weighted by this rank's share of its examples, so that the sums over
// the ranks are the values of the whole micro-batch (what one process computing it would get).
struct StepSums {
  double loss = 0;  // of loss / gradient_accumulation_steps
  std::map<std::string, double> metrics;
  int64_t micro_batches = 0;
  int64_t tokens = 0;
  int64_t samples = 0;
};

// JSON has no NaN or infinity (nlohmann writes them as null, which then fails to read back as
// a number): a non-finite number becomes {"$non_finite": "nan" | "inf" | "-inf"} for the
// broadcast of evaluation results, and back.
nlohmann::json encode_non_finite(const nlohmann::json& value);
nlohmann::json decode_non_finite(const nlohmann::json& value);

class DataParallel {
 public:
  // Joins the ranks of the launch environment; null when it has a single process.
  static std::unique_ptr<DataParallel> join(const TrainingArguments& args,
                                            const NamedParameters& parameters);

  int64_t rank() const { return group_->rank(); }
  int64_t size() const { return group_->size(); }
  bool is_main() const { return rank() == 0; }

  // This rank's examples of a (global) micro-batch.
  MicroBatch share(const MicroBatch& batch, const TrainingTask& task) const;
  // The factor of this rank's loss before backward, so that the average over the ranks of
  // the gradients is the gradient of the whole micro-batch's mean loss.
  double loss_weight(const MicroBatch& share, const MicroBatch& batch) const;

  // --- sharded optimizer state ---
  bool sharded() const { return !owners_.empty(); }
  // The owning rank of each trainable parameter (empty when not sharded).
  const std::vector<int64_t>& owners() const { return owners_; }
  // What this rank's optimizer is built over: every parameter, or its own share.
  NamedParameters optimizer_parameters() const;
  // The global L2 gradient norm from this rank's share of it (sharded), else `local` itself.
  double global_norm(double local);
  // After the optimizer step: every parameter takes its owner's values (sharded; no-op else),
  // by broadcasts of at most ddp_bucket_cap_mb (larger tensors alone, in place).
  void share_parameters();
  // Moves the low-precision gradients of the parameters other ranks own into float32 sums
  // (what AdamW::accumulate_gradients() does for its own; sharded, no-op else).
  void accumulate_gradients();
  // Logs every rank's bytes of optimizer state and float32 masters (a collective), so that
  // the share 1/N of sharding can be read off rank 0's log.
  void report_optimizer_memory(const AdamW& optimizer);

  // Gradients: created with the optimizer; arm before the last backward of a window,
  // finish after it.
  void attach(AdamW& optimizer);
  void arm() { reducer_->arm(); }
  void finish();

  StepSums reduce(const StepSums& local);
  // The strongest stop request of any rank (0: none), so that all stop after the same step.
  int agree_on_stop(int local_signal);
  // Rank 0's value (non-finite numbers included).
  nlohmann::json broadcast(const nlohmann::json& value);
  // Every rank's RNG state (rank order), for rank 0 to write into a checkpoint.
  std::vector<safetensors::NamedTensors> gather(const safetensors::NamedTensors& tensors);
  void barrier() { group_->barrier(); }
  void report_failure(const std::string& message) noexcept { group_->report_failure(message); }
  int64_t bytes_per_step() const { return reducer_ ? reducer_->bytes_per_step() : 0; }
  std::string describe() const;

 private:
  DataParallel(std::shared_ptr<distributed::ProcessGroup> group, int64_t bucket_bytes,
               NamedParameters parameters, bool sharded);
  bool owns(std::size_t parameter) const { return owners_.empty() || owners_[parameter] == rank(); }
  at::Tensor foreign_gradient(std::size_t parameter) const;
  void clear_foreign_gradients();

  std::shared_ptr<distributed::ProcessGroup> group_;
  NamedParameters parameters_;  // every trainable parameter, in the task's order
  std::vector<int64_t> owners_;
  // Float32 gradient sums of low-precision parameters other ranks own (sharded only), with
  // whether each holds a sum this window.
  std::vector<at::Tensor> foreign_sums_;
  std::vector<bool> foreign_summed_;
  int64_t bucket_bytes_;
  std::unique_ptr<distributed::GradientReducer> reducer_;
  std::vector<std::string> metric_names_;  // agreed at the first step
  bool overlap_reported_ = false;
};

}  // namespace wizard::train::detail
